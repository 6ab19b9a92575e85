"""Small pieces every page uses: empty states, tiles, tables, downloads, links between pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import polars as pl
import streamlit as st

from deliverability.dashboard import data
from deliverability.dashboard.filters import DIMENSIONS, reveal_numbers
from deliverability.queries import Filters
from deliverability.queries.metrics import higher_is_worse
from deliverability.queries.privacy import scrub_frame
from deliverability.render.output import to_csv


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def require_data() -> bool:
    """False (after saying why) when there is nothing to show yet."""
    if data.is_empty():
        st.info(
            "The store is empty. Upload send logs or delivery reports on the Upload page, "
            "or run `deliverability ingest FILE...` and reload."
        )
        return False
    return True


def no_match() -> None:
    st.info("No messages match these filters. Widen the date range or clear a filter.")


RATE_TILES = (
    ("Delivery rate", "delivery_rate"),
    ("Failure rate", "failure_rate"),
    ("Pending / no report", "pending_rate"),
)


def tiles(current: dict, delta: dict | None, help: Callable[[str], str | None]) -> None:
    """Messages and the three rates of CURRENT, each with its change in DELTA (None: no
    change shown), coloured by whether the change is good; HELP(key) is a tile's help."""
    columns = st.columns(4)
    columns[0].metric(
        "Messages",
        f"{current['messages']:,}",
        delta=f"{delta['messages']:+,.0f}" if delta else None,
        delta_color="off",
        help=help("messages"),
    )
    for column, (name, key) in zip(columns[1:], RATE_TILES, strict=True):
        column.metric(
            name,
            pct(current[key]),
            delta=f"{delta[key]:+.2f} pp" if delta else None,
            delta_color="inverse" if higher_is_worse(key) else "normal",
            help=help(key),
        )


def headline_tiles(head: dict) -> None:
    """The tiles of queries.compare.headline's dict, each vs the previous period."""
    had_previous = bool(head["previous"]["messages"])
    tiles(
        head["current"],
        head["delta"] if had_previous else None,
        lambda key: (
            "Change vs the previous period of the same length"
            + ("." if key == "messages" else ", in percentage points.")
        ),
    )


def grain_picker(filters: Filters, key: str) -> str:
    span = (filters.until - filters.since) if filters.since and filters.until else None
    default = "hour" if span is not None and span <= timedelta(days=3) else "day"
    options = ["hour", "day", "week"]
    return (
        st.segmented_control(
            "Time grain", options, default=default, key=key, label_visibility="collapsed"
        )
        or default
    )


def url_grain(filters: Filters, key: str) -> str:
    """grain_picker whose choice is kept in the URL (?grain=day), so a link shows it."""
    wanted = st.query_params.get("grain")
    if wanted in ("hour", "day", "week") and key not in st.session_state:
        st.session_state[key] = wanted
    grain = grain_picker(filters, key)
    if st.query_params.get("grain") != grain:
        st.query_params["grain"] = grain
    return grain


# Columns whose empty value means "not known" (shown as "(none)", as in the charts).
NAMED_DIMENSIONS = ("carrier", "country", "campaign", "sender", "channel")


def table(
    frame: pl.DataFrame,
    key: str,
    select: bool = False,
    height: int | str = "auto",
    percent: Sequence[str] = (),
):
    """A dataframe (text is shown as text, never HTML; phone numbers in it masked unless the
    sidebar's Reveal is on); with select=True it returns the selection event of a
    single-row selection (its rows are FRAME's rows, masked or not)."""
    if not reveal_numbers():
        frame = scrub_frame(frame)
    # A message without a carrier (country, campaign, ...) reads as the charts write it.
    missing = [c for c in NAMED_DIMENSIONS if frame.schema.get(c) == pl.String]
    if missing:
        frame = frame.with_columns(pl.col(missing).fill_null("(none)"))
    config = {
        column: st.column_config.NumberColumn(format="percent")
        for column in percent
        if column in frame.columns
    }
    # A ratio to a baseline reads as '×2.4', not 2.4037.
    config.update(
        {c: st.column_config.NumberColumn(format="×%.1f") for c in ("ratio",) if c in frame.columns}
    )
    if isinstance(height, int) and frame.height < 10:
        height = "auto"  # a fixed height would draw a short table's empty rows
    kwargs = {"key": key, "hide_index": True, "height": height, "column_config": config}
    if select:
        return st.dataframe(frame, on_select="rerun", selection_mode="single-row", **kwargs)
    st.dataframe(frame, **kwargs)
    return None


def selected_row(event, frame: pl.DataFrame) -> dict | None:
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if not rows or rows[0] >= frame.height:
        return None
    return frame.row(rows[0], named=True)


def clicked_points(event) -> list[dict]:
    selection = getattr(event, "selection", None)
    if selection is None and isinstance(event, dict):
        selection = event.get("selection")
    points = getattr(selection, "points", None)
    if points is None and isinstance(selection, dict):
        points = selection.get("points")
    return list(points or [])


def point_key(point: dict) -> str:
    """The drill-down value a chart put in a point's customdata."""
    value = point.get("customdata")
    if isinstance(value, list):
        value = value[0]
    return str(value)


def link_params(**drill: str | None) -> dict[str, list[str]]:
    """The query string for another page: the current global filters plus DRILL values
    (a drill value for a global dimension, such as carrier, replaces that filter)."""
    keep = ("tz", "since", "until", *DIMENSIONS)
    params = {k: st.query_params.get_all(k) for k in keep if st.query_params.get(k)}
    params.update({k: [v] for k, v in drill.items() if v})
    return params


def download_csv(
    frame: pl.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None
) -> None:
    """CSV with spreadsheet formulas neutralised (see deliverability/render/output.py) and
    phone numbers masked unless the sidebar's Reveal is on."""
    if not reveal_numbers():
        frame = scrub_frame(frame)
    st.download_button(label, to_csv(frame), file_name=file_name, mime="text/csv", key=key)


def code_advice(code: dict) -> None:
    """What to do about a code: the provider's advice, else its failure category's (said
    so), and a link to the provider's page for it. Plain text: catalog files may be a user's."""
    if code.get("advice"):
        if code.get("advice_from") == "category":
            st.caption(f"Advice (for {code.get('category')} failures in general)")
        else:
            st.caption("Advice (the provider's)")
        st.text(code["advice"])
    link = code.get("link") or ""
    if link.startswith(("https://", "http://")):
        st.link_button("Provider's page for this code", link)


def span(filters: Filters) -> str:
    """A window [since, until) as dates in the display zone: '2026-11-09 – 2026-11-15'
    (until is exclusive)."""
    since, until = filters.local_since, filters.local_until
    if since is None or until is None:
        return "all time"
    last = until - timedelta(microseconds=1)
    return f"{since:%Y-%m-%d} – {last:%Y-%m-%d}"


def pp(column: str) -> pl.Expr:
    """A change in percentage points as text: '+1.23 pp'."""
    return (
        pl.when(pl.col(column).is_null())
        .then(pl.lit("–"))
        .otherwise(
            pl.format(
                "{} pp",
                pl.col(column).round(2).map_elements(lambda v: f"{v:+.2f}", return_dtype=pl.String),
            )
        )
    )


def p_value(column: str) -> pl.Expr:
    """A p-value as text: '<0.0001', else four decimals."""
    return (
        pl.when(pl.col(column).is_null())
        .then(pl.lit("–"))
        .when(pl.col(column) < 0.0001)
        .then(pl.lit("<0.0001"))
        .otherwise(pl.col(column).round(4).cast(pl.String))
    )


def bucket_window(x: object, grain: str) -> dict[str, str]:
    """The since/until (dates, until exclusive) of the chart bucket starting at X, for a
    link to its messages: its day, or its week; an hour's bucket opens its day (the filters
    are by date)."""
    start = datetime.fromisoformat(str(x)[:10]).date()
    days = 7 if grain == "week" else 1
    return {"since": start.isoformat(), "until": (start + timedelta(days=days)).isoformat()}
