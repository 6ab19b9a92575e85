"""Counts and rates by any dimensions: what `deliverability report` prints.

Columns of report(): the requested dimensions (`code` brings provider, channel, category,
outcome and name with it), then messages, delivered, failed, pending, unconfirmed,
no_report, unknown, delivery_rate, failure_rate. Rows sorted by messages, descending.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from deliverability.queries.cube import message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import COUNTS, rates
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


def report(
    con: duckdb.DuckDBPyConnection, by: list[str] | None = None, filters: Filters | None = None
) -> pl.DataFrame:
    by = by or []
    filters = filters or Filters()
    frame = counts(con, by, filters).with_columns(rates(RATES))
    if "code" in by:
        frame = attach_code_names(con, frame)
        dims = dimension_columns(by)
        frame = frame.select([*dims, "name", *COUNTS, *RATES])
    return frame.sort(
        ["messages", *dimension_columns(by)],
        descending=[True] + [False] * len(dimension_columns(by)),
        nulls_last=True,
    )


def totals(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict:
    frame = report(con, [], filters)
    if frame.is_empty():
        return {c: 0 for c in COUNTS} | {r: 0.0 for r in RATES}
    return frame.row(0, named=True)
