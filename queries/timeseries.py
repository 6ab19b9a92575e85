"""Outcomes over time: the share of each outcome per time bucket, for stacked charts."""

from __future__ import annotations

import duckdb
import polars as pl

from deliverability.queries.cube import message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import OUTCOMES, ratio, wilson_interval


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


TREND_DIMENSIONS = ("code", "category", "carrier", "provider", "country")


def _label(dim: str) -> pl.Expr:
    if dim == "code":
        return pl.concat_str(
            [pl.col("provider"), pl.lit(" "), pl.col("code").fill_null("(no code)")]
        )
    return pl.col(dim).fill_null("(none)")


def _drill(dim: str) -> pl.Expr:
    """What a click on the series drills into: 'provider|code' for a code, else the value."""
    if dim == "code":
        return pl.concat_str([pl.col("provider"), pl.lit("|"), pl.col("code").fill_null("")])
    return pl.col(dim).fill_null("")


def failure_rate_series(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    dim: str,
    grain: str = "day",
    top: int = 5,
) -> pl.DataFrame:
    """The failure rate over time of the TOP values of DIM with most failures, one series
    each: period_start, value, failed, messages (the volume it is out of), failure_rate,
    low, high (its 95% Wilson interval), drill (what a click opens: 'provider|code' for a
    code, else the value). A code's or category's rate is out of the bucket's
    messages of the same provider and channel (a category: all messages), as everywhere
    (queries/metrics.py); a carrier's, provider's or country's out of its own messages."""
    if dim not in TREND_DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}; one of {', '.join(TREND_DIMENSIONS)}")
    cube = message_cube(con, filters, grain=grain, dims=[dim])
    empty = pl.DataFrame(
        schema={"period_start": pl.Datetime("us"), "value": pl.String, "failed": pl.Int64,
                "messages": pl.Int64, "failure_rate": pl.Float64, "low": pl.Float64,
                "high": pl.Float64, "drill": pl.String}
    )  # fmt: skip
    if cube.is_empty():
        return empty
    cube = cube.with_columns(_label(dim).alias("value"), _drill(dim).alias("drill"))
    failed = cube.group_by("period_start", "value").agg(pl.col("failed").sum())
    drills = cube.select("value", "drill").unique(subset="value")
    leaders = (
        failed.group_by("value").agg(pl.col("failed").sum()).filter(pl.col("failed") > 0)
        .sort(["failed", "value"], descending=[True, False]).head(top).select("value")
    )  # fmt: skip
    if leaders.is_empty():
        return empty
    # What each value's rate is out of, in every bucket it could have occurred in: a bucket
    # without a failure of that code is a 0% point, not a missing one.
    if dim == "code":
        exposure = cube.group_by("period_start", "provider", "channel").agg(
            pl.col("messages").sum().alias("out_of")
        )
        grid = (
            cube.select("value", "provider", "channel").unique().join(leaders, on="value")
            .join(exposure, on=["provider", "channel"], nulls_equal=True)
            .select("period_start", "value", "out_of")
        )  # fmt: skip
    elif dim == "category":
        exposure = cube.group_by("period_start").agg(pl.col("messages").sum().alias("out_of"))
        grid = leaders.join(exposure, how="cross")
    else:
        grid = (
            cube.group_by("period_start", "value").agg(pl.col("messages").sum().alias("out_of"))
            .join(leaders, on="value")
        )  # fmt: skip
    rows = (
        grid.group_by("period_start", "value").agg(pl.col("out_of").sum())
        .join(failed, on=["period_start", "value"], how="left")
        .with_columns(pl.col("failed").fill_null(0))
        .join(drills, on="value", how="left")
    )  # fmt: skip
    low, high = wilson_interval("failed", "messages")
    return (
        rows.rename({"out_of": "messages"})
        .with_columns(ratio("failed", "messages").alias("failure_rate"))
        .with_columns(low.alias("low"), high.alias("high"))
        .select(
            "period_start",
            "value",
            pl.col("failed").cast(pl.Int64),
            pl.col("messages").cast(pl.Int64),
            "failure_rate",
            "low",
            "high",
            "drill",
        )  # fmt: skip
        .sort(["value", "period_start"])
    )
