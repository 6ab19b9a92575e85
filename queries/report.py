"""Counts and rates by any dimensions: what `deliverability report` prints.

Columns of report(): the requested dimensions (`code` brings provider, channel, category,
outcome and name with it), then messages, delivered, failed, pending, unconfirmed,
no_report, unknown, delivery_rate, failure_rate, share_of_messages, latency_p50_s,
latency_p90_s, latency_p99_s.

Rates follow queries/metrics.py: a row keyed by what happened to its messages (a code, a
category, an outcome) is out of its exposure, so code 30007's failure_rate is its failed
messages over all messages of its provider and channel in the selection, as the dashboard
shows it. share_of_messages is the row's messages over the whole selection. Latency is from
send to final report, over the row's messages that have both (null when none do).
Rows are in time order when a time dimension is asked for, else by messages, descending.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from deliverability.queries.cube import CUBE_DIMENSIONS, message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import COUNTS, OUTCOME_DIMENSIONS, exposure_keys, rate, ratio
from deliverability.queries.runner import run

DIMENSIONS = (
    "provider",
    "channel",
    "code",
    "category",
    "outcome",
    "carrier",
    "country",
    "campaign",
    "sender",
    "day",
    "week",
    "hour",
)
TIME_DIMENSIONS = ("hour", "day", "week")  # finest first
RATES = ("delivery_rate", "failure_rate")
LATENCY = ("latency_p50_s", "latency_p90_s", "latency_p99_s")


def dimension_columns(by: list[str]) -> list[str]:
    columns: list[str] = []
    for dim in by:
        expanded = (
            ["provider", "channel", "code", "category", "outcome"] if dim == "code" else [dim]
        )
        columns.extend(c for c in expanded if c not in columns)
    return columns


def counts(con: duckdb.DuckDBPyConnection, by: list[str], filters: Filters) -> pl.DataFrame:
    """Message counts by outcome, grouped by BY (raw counts, no rates)."""
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"unknown dimension(s) {', '.join(unknown)}; one of {', '.join(DIMENSIONS)}"
        )
    times = [t for t in TIME_DIMENSIONS if t in by]
    # The finest time dimension asked for is the cube's grain; coarser ones are its buckets'
    # days or weeks, so every bucket still belongs to one row.
    cube = message_cube(
        con, filters, grain=times[0] if times else None, dims=[d for d in by if d not in times]
    )
    cube = cube.with_columns(pl.col("period_start").dt.truncate(f"1{t[0]}").alias(t) for t in times)
    return cube.select([*dimension_columns(by), *COUNTS])


def code_names(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return run(con, "code_names")


def attach_code_names(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, columns: Sequence[str] = ("name",)
) -> pl.DataFrame:
    """Add the catalog's COLUMNS (name, and category if asked) for (provider, channel,
    code), with the '*' (any channel) entry as the fallback."""
    names = code_names(con).select("provider", "channel", "code", *columns)
    exact = frame.join(names, on=["provider", "channel", "code"], how="left")
    star = names.filter(pl.col("channel") == "*").select(
        "provider", "code", *[pl.col(c).alias(f"star_{c}") for c in columns]
    )
    return (
        exact.join(star, on=["provider", "code"], how="left")
        .with_columns(pl.coalesce(c, f"star_{c}").alias(c) for c in columns)
        .drop(f"star_{c}" for c in columns)
    )


def latency(con: duckdb.DuckDBPyConnection, by: list[str], filters: Filters) -> pl.DataFrame:
    """Send-to-final-report percentiles (seconds) grouped by BY, as counts() groups."""
    times = [t for t in TIME_DIMENSIONS if t in by]
    dims = [d for d in by if d not in times]
    flags = {f"by_{d}": d in dims for d in CUBE_DIMENSIONS}
    frame = run(con, "latency_quantiles", filters, grain=times[0] if times else None, **flags)
    frame = frame.with_columns(pl.col("period_start").cast(pl.Datetime("us")))
    frame = frame.with_columns(
        pl.col("period_start").dt.truncate(f"1{t[0]}").alias(t) for t in times
    )
    return frame.select([*dimension_columns(by), *(pl.col(c).cast(pl.Float64) for c in LATENCY)])


def report(
    con: duckdb.DuckDBPyConnection, by: list[str] | None = None, filters: Filters | None = None
) -> pl.DataFrame:
    by = by or []
    filters = filters or Filters()
    dims = dimension_columns(by)
    frame = counts(con, by, filters)
    if any(d in OUTCOME_DIMENSIONS for d in dims):
        exposure = exposure_keys(dims)
        out_of = pl.col("messages").sum().over(exposure) if exposure else pl.col("messages").sum()
        frame = frame.with_columns(rate(name, out_of) for name in RATES)
    else:
        frame = frame.with_columns(rate(name) for name in RATES)
    frame = frame.with_columns(
        ratio("messages", pl.col("messages").sum()).alias("share_of_messages")
    )
    latencies = latency(con, by, filters)
    if dims:
        frame = frame.join(latencies, on=dims, how="left", nulls_equal=True)
    else:
        whole = latencies.row(0, named=True) if latencies.height else dict.fromkeys(LATENCY)
        frame = frame.with_columns(pl.lit(whole[c], pl.Float64).alias(c) for c in LATENCY)
    if "code" in by:
        frame = attach_code_names(con, frame)
        frame = frame.select([*dims, "name", *COUNTS, *RATES, "share_of_messages", *LATENCY])
    times = [t for t in ("week", "day", "hour") if t in dims]
    if times:
        rest = [d for d in dims if d not in times]
        return frame.sort(
            [*times, "messages", *rest],
            descending=[False] * len(times) + [True] + [False] * len(rest),
            nulls_last=True,
        )
    return frame.sort(["messages", *dims], descending=[True] + [False] * len(dims), nulls_last=True)


def totals(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict:
    frame = report(con, [], filters)
    if frame.is_empty():
        return (
            {c: 0 for c in COUNTS}
            | {r: 0.0 for r in RATES}
            | {"share_of_messages": 0.0}
            | {c: None for c in LATENCY}
        )
    return frame.row(0, named=True)
