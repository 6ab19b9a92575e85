"""The alert ledger, read: what `deliverability alert` sent to which destination, and the
rules it ran. The store writes it (Store.record_alert_delivery, Store.record_alert_rule);
deliverability/alerts/ decides what to send from these rows.
"""

from __future__ import annotations

from collections.abc import Sequence

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
