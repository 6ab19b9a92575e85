"""Outcomes over time: the share of each outcome per time bucket, for stacked charts."""

from __future__ import annotations

import duckdb
import polars as pl

from deliverability.queries.cube import message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import OUTCOMES, ratio


def outcomes_over_time(
    con: duckdb.DuckDBPyConnection, filters: Filters, grain: str = "day"
) -> pl.DataFrame:
    """Messages per time bucket and outcome, with each outcome's share of the bucket.

    Columns: period_start (datetime, UTC bucket start), outcome (one of delivered, failed,
    pending, unconfirmed, no_report, unknown; every outcome appears for every bucket, with 0
    when absent), messages (int), share (float, messages / all messages of the bucket; the
    shares of a bucket sum to 1). Sorted by period_start, then the outcome order above.
    """
    cube = message_cube(con, filters, grain=grain, dims=())
    if cube.is_empty():
        return pl.DataFrame(
            schema={
                "period_start": pl.Datetime("us"),
                "outcome": pl.String,
                "messages": pl.Int64,
                "share": pl.Float64,
            }
        )
    order = pl.Enum(OUTCOMES)
    long = cube.unpivot(
        index=["period_start"], on=list(OUTCOMES), variable_name="outcome", value_name="count"
    )
    total = pl.col("count").sum().over("period_start")
    return (
        long.with_columns(ratio("count", total).alias("share"))
        .with_columns(pl.col("outcome").cast(order))
        .sort(["period_start", "outcome"])
        .select(
            "period_start",
            pl.col("outcome").cast(pl.String),
            pl.col("count").cast(pl.Int64).alias("messages"),
            "share",
        )
    )
