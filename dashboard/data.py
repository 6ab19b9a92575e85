"""Every number the pages show, through queries/, cached on (arguments, store version).

The pages call these; none of them writes SQL. An ingest bumps the store version, so cached
results never outlive the data they came from.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import polars as pl
import streamlit as st

from deliverability.dashboard.state import cursor, reading_elsewhere, store_key, writing
from deliverability.queries import Filters, compare, failures, spikes, timeseries
from deliverability.queries import alerts as _alerts
from deliverability.queries import messages as message_queries
from deliverability.queries import review as _review
from deliverability.queries.carrier_comparison import carrier_comparison as _carrier_comparison
from deliverability.queries.privacy import scrub_frame
from deliverability.queries.report import report as _report
from deliverability.queries.status import has_send_log as _has_send_log
from deliverability.queries.status import ingest_ledger as _ingest_ledger
from deliverability.queries.status import quarantined_rows as _quarantined_rows
from deliverability.queries.status import uncatalogued_codes as _uncatalogued_codes
from deliverability.queries.status import unlisted_carriers as _unlisted_carriers
from deliverability.render.output import to_csv


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs={Filters: repr})
def _cached_call(name: str, store: str, version: int, args: tuple, kwargs: tuple) -> Any:
    return _REGISTRY[name](cursor(), *args, **dict(kwargs))


_REGISTRY: dict[str, Callable] = {}


def cached(fn: Callable) -> Callable:
    """fn(con, ...) -> fn(...), cached on its arguments and the store version."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _REGISTRY[name] = fn

    @wraps(fn)
    def call(*args, **kwargs):
        path, version = store_key()
        return _cached_call(name, path, version, args, tuple(sorted(kwargs.items())))

    return call


count_in_selection = cached(message_queries.count_in_selection)
report = cached(_report)
failure_rate_series = cached(timeseries.failure_rate_series)
carrier_comparison = cached(_carrier_comparison)


def has_latency() -> pl.Expr:
    """Rows of report() with a latency to show."""
    return pl.col("latency_p50_s").is_not_null()


code_entry = cached(message_queries.code_entry)


def all_messages_csv(selection: Filters, outcome: str | None, reveal: bool) -> bytes:
    """Every message of the selection as CSV, masked unless REVEAL (the Messages page's
    download: built when clicked, on Streamlit's download thread)."""
    with reading_elsewhere() as con:
        frame = message_queries.messages_in_selection(
            con, selection, outcome=outcome, reveal=reveal, limit=None
        )
    return to_csv(frame if reveal else scrub_frame(frame)).encode("utf-8")


filter_options = cached(message_queries.filter_options)
time_range = cached(message_queries.time_range)
messages_in_selection = cached(message_queries.messages_in_selection)
message_events = cached(message_queries.message_events)
catalog_search = cached(message_queries.catalog_search)
uncatalogued_codes = cached(_uncatalogued_codes)
unlisted_carriers = cached(_unlisted_carriers)
ingest_ledger = cached(_ingest_ledger)
quarantined_rows = cached(_quarantined_rows)
headline = cached(compare.headline)
compare_periods = cached(compare.compare_periods)
outcomes_over_time = cached(timeseries.outcomes_over_time)
failure_breakdown = cached(failures.failure_breakdown)
failure_heatmap = cached(failures.failure_heatmap)
find_spikes = cached(spikes.find_spikes)
code_series = cached(spikes.code_series)


def is_empty() -> bool:
    return time_range()["messages"] == 0


has_send_log = cached(_has_send_log)


alert_rules = cached(_alerts.alert_rules)
sent_alerts = cached(_alerts.sent_alerts)


weekly_review = cached(_review.weekly_review)
available_weeks = cached(_review.available_weeks)
default_week = cached(_review.default_week)


def add_note(scope: str, subject: str, body: str, author: str | None, week: str | None) -> int:
    """Store a reviewer's note; it bumps the store version, so every cached result refreshes."""
    with writing() as store:
        return store.add_note(scope, subject, body, author=author, week=week)
