"""Carriers compared within their country, for routing decisions: each provider × carrier's
delivery and failure rates with their 95% intervals and the messages behind them, tested
against the rest of its country (two-proportion test on the failure rate), most
significantly different first, with its top failure codes."""

from __future__ import annotations

import duckdb
import polars as pl

from deliverability.queries.compare import two_proportion_test
from deliverability.queries.cube import message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import ratio, wilson_interval

TOP_CODES = 3


def wilson(hits: str, trials: str, name: str) -> list[pl.Expr]:
    """NAME_low and NAME_high: the 95% Wilson interval of HITS / TRIALS."""
    low, high = wilson_interval(hits, trials)
    return [low.alias(f"{name}_low"), high.alias(f"{name}_high")]


def carrier_comparison(con: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """country, provider, carrier, messages, delivered, failed, delivery_rate (with _low,
    _high), failure_rate (with _low, _high), country_failure_rate (the rest of the country),
    z, p_value, top_codes ("4000 ×12, 4001 ×3"); by country, most significant first."""
    keys = ["country", "provider", "carrier"]
    cube = message_cube(con, filters, grain=None, dims=keys)
    if cube.is_empty():
        return pl.DataFrame()
    rows = cube.group_by(keys).agg(pl.col("messages", "delivered", "failed").sum())
    country = pl.col("messages").sum().over("country"), pl.col("failed").sum().over("country")
    rest_n, rest_x = country[0] - pl.col("messages"), country[1] - pl.col("failed")
    z, p_value = two_proportion_test(pl.col("failed"), pl.col("messages"), rest_x, rest_n)
    codes = (
        message_cube(con, filters, grain=None, dims=[*keys, "code"])
        .filter(pl.col("failed") > 0)
        .group_by([*keys, "code"])
        .agg(pl.col("failed").sum())
        .sort(["failed", "code"], descending=[True, False])
        .group_by(keys, maintain_order=True)
        .agg(
            pl.format("{} ×{}", pl.col("code").fill_null("?"), pl.col("failed"))
            .head(TOP_CODES)
            .str.join(", ")
            .alias("top_codes")
        )
    )
    return (
        rows.with_columns(
            ratio("delivered", "messages").alias("delivery_rate"),
            ratio("failed", "messages").alias("failure_rate"),
            *wilson("delivered", "messages", "delivery_rate"),
            *wilson("failed", "messages", "failure_rate"),
            ratio(rest_x, rest_n).alias("country_failure_rate"),
            z.alias("z"),
            p_value.alias("p_value"),
        )
        .join(codes, on=keys, how="left", nulls_equal=True)
        # Most significant first; of two equally significant, the worse (a pair of carriers
        # tested against each other has one p-value), then the busier, then by name.
        .sort(
            ["country", "p_value", "failure_rate", "messages", "provider", "carrier"],
            descending=[False, False, True, True, False, False],
            nulls_last=True,
        )
        .select(
            *keys,
            "messages",
            "delivered",
            "failed",
            "delivery_rate",
            "delivery_rate_low",
            "delivery_rate_high",
            "failure_rate",
            "failure_rate_low",
            "failure_rate_high",
            "country_failure_rate",
            "z",
            "p_value",
            "top_codes",
        )  # fmt: skip
    )
