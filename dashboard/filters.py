"""The global filters: one place, in the sidebar, mirrored in the URL's query string.

Reading the URL first means a shared link or a reload shows the same view.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from deliverability.dashboard import data
from deliverability.queries import Filters
from deliverability.queries.zones import DEFAULT_ZONE, check_zone, zone_names
from deliverability.settings import display_zone

DIMENSIONS = ("provider", "channel", "carrier", "country", "campaign")
# Drill-down selections that pages add on top of the sidebar filters; also in the URL.
DRILL_KEYS = ("category", "code", "code_provider", "outcome")


def _param_list(name: str) -> list[str]:
    # Repeated keys (?carrier=A&carrier=B), so values may hold commas.
    return [v for v in st.query_params.get_all(name) if v]


def _param_date(name: str) -> date | None:
    raw = st.query_params.get(name)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _write_params(values: dict[str, str | list[str] | None]) -> None:
    for key, value in values.items():
        if value:
            wanted = value if isinstance(value, list) else [value]
            if st.query_params.get_all(key) != wanted:
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


FILTER_KEYS = ("since", "until", "tz", *DIMENSIONS)


def _default_zone() -> str:
    """`dashboard --display-tz` (DELIVERABILITY_DISPLAY_TZ), else UTC."""
    try:
        return check_zone(display_zone())
    except ValueError:
        return DEFAULT_ZONE


def _url_zone() -> str | None:
    try:
        return check_zone(st.query_params.get("tz")) if st.query_params.get("tz") else None
    except ValueError:
        return None


def _url_filters() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in FILTER_KEYS if st.query_params.get(k)}


def _url_is_news() -> bool:
    """A link or switch_page brought filters in the URL that differ from the widgets': the
    URL wins. (A page change through the sidebar clears the URL; then the widgets win.)"""
    url = _url_filters()
    last = st.session_state.get("_filters_url")
    return not (last is None or not url or url == last)


def _adopt_url(options: dict[str, list[str]], start: date, end: date) -> None:
    st.session_state["filter_dates"] = (start, end)
    for dim in DIMENSIONS:
        values = options.get(dim, [])
        st.session_state[f"filter_{dim}"] = [v for v in _param_list(dim) if v in values]


def sidebar_filters() -> Filters:
    """Draw the sidebar filters and return them; the URL follows every change."""
    options = data.filter_options()
    default_zone = _default_zone()
    adopt = _url_is_news()
    if adopt or "filter_tz" not in st.session_state:
        st.session_state["filter_tz"] = _url_zone() or default_zone
    zone = st.session_state["filter_tz"]
    span = data.time_range(zone)
    first = span["first_at"].date() if span["first_at"] else date.today()
    last = span["last_at"].date() if span["last_at"] else date.today()
    start = _param_date("since") or first
    end = _param_date("until")
    end = (end - timedelta(days=1)) if end else last
    if adopt:
        _adopt_url(options, start, end)
    with st.sidebar:
        st.header("Filters")
        zone = st.selectbox(
            "Time zone",
            zone_names(),
            key="filter_tz",
            help="Days and weeks start at this zone's midnight; times are shown in it. "
            "The store keeps UTC.",
        )
        picked = st.date_input(
            f"Date range ({zone}, by send time)",
            value=(start, end),
            min_value=min(first, start),
            max_value=max(last, end),
            key="filter_dates",
        )
        since, until = picked if isinstance(picked, tuple) and len(picked) == 2 else (start, end)
        chosen: dict[str, list[str]] = {}
        for dim in DIMENSIONS:
            values = options.get(dim, [])
            current = [v for v in _param_list(dim) if v in values]
            chosen[dim] = st.multiselect(
                dim.capitalize(),
                values,
                default=None if f"filter_{dim}" in st.session_state else current,
                key=f"filter_{dim}",
                placeholder="All countries" if dim == "country" else f"All {dim}s",
            )
        st.toggle(
            "Reveal phone numbers",
            value=False,
            key="reveal_numbers",
            help="Numbers are masked to their last four digits by default, in tables and "
            "downloads alike.",
        )
    written = {
        "tz": zone if zone != default_zone else None,
        "since": since.isoformat() if since and since != first else None,
        "until": (until + timedelta(days=1)).isoformat() if until and until != last else None,
        **{dim: chosen[dim] or None for dim in DIMENSIONS},
    }
    _write_params(written)
    st.session_state["_filters_url"] = {
        k: v if isinstance(v, list) else [v] for k, v in written.items() if v
    }
    return Filters.build(
        since=since,
        until=until + timedelta(days=1) if until else None,
        zone=zone,
        **chosen,
    )


def reveal_numbers() -> bool:
    return bool(st.session_state.get("reveal_numbers", False))


def current() -> Filters:
    return st.session_state.get("filters", Filters())


def drill() -> dict[str, str | None]:
    """The page-level drill-down selection (category, code, outcome) from the URL."""
    return {key: st.query_params.get(key) or None for key in DRILL_KEYS}


def set_drill(**values: str | None) -> None:
    _write_params(values)


def with_drill(filters: Filters) -> Filters:
    selected = drill()
    return filters.with_(
        category=(selected["category"],) if selected["category"] else filters.category,
        code=(selected["code"],) if selected["code"] else filters.code,
        provider=(selected["code_provider"],) if selected["code_provider"] else filters.provider,
    )
