"""The alert ledger, read: what `deliverability alert` sent to which destination, and the
rules it ran. The store writes it (Store.record_alert_delivery, Store.record_alert_rule);
deliverability/alerts/ decides what to send from these rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import polars as pl

from deliverability.queries.runner import run

# The Alerts page lists this many deliveries, newest first.
SENT_LIMIT = 1000


def delivered(con: duckdb.DuckDBPyConnection, keys: Sequence[str] = ()) -> pl.DataFrame:
    """alert_key, destination (its digest), count (as last sent), sent_at (latest),
    deliveries (how many times, updates included): one row per (alert_key, destination)
    delivered, for KEYS (empty: every key)."""
    return run(con, "alerts_delivered", keys=list(keys))


def sent_alerts(con: duckdb.DuckDBPyConnection, limit: int = SENT_LIMIT) -> pl.DataFrame:
    """sent_at, rule, kind, is_update, in_digest, grain, period_start, provider, channel,
    code, dimension, value, count, messages, rate, baseline_rate, ratio, q_value, title,
    destination (its label: kind and host): every delivery, newest first, at most LIMIT."""
    return run(con, "alerts_sent", limit=limit)


def alert_rules(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """rule, grain, providers, channels, codes, categories, min_count, sustained,
    destinations, checked_until, last_run_at, last_sent, last_failed: each rule as it last
    ran, by name."""
    return run(con, "alert_rules")


def latest_ingest(con: duckdb.DuckDBPyConnection) -> tuple[int | None, datetime | None]:
    """(the newest ingest's id, the latest finish time): what a rule run has seen."""
    row = run(con, "alert_ingests_latest").row(0, named=True)
    return row["ingest_id"], row["finished_at"]


def touched_span(
    con: duckdb.DuckDBPyConnection, after_id: int, after_at: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """(first, last) message time (UTC) of the messages the ingests newer than AFTER_ID (or
    finished after AFTER_AT) brought or changed; (None, None) when there were none."""
    row = run(con, "alert_touched_span", after_id=after_id, after_at=after_at or datetime.min).row(
        0, named=True
    )
    return row["first_at"], row["last_at"]
