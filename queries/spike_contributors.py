"""Who carries a spike: the carrier, country, campaign and sender values behind its excess.

One query (queries/sql/spike_contributors.sql) counts, for all spikes at once, each value's
messages and code count in the spike's bucket and in its trailing baseline window; polars
turns them into excess over baseline and keeps the largest.
"""

from __future__ import annotations

import duckdb
import polars as pl

from deliverability.queries.filters import Filters
from deliverability.queries.runner import run
from deliverability.queries.spike_settings import SpikeSettings

CONTRIBUTOR = pl.Struct(
    {"dimension": pl.String, "value": pl.String, "count": pl.Int64, "excess": pl.Float64}
)
KEY = ["period_start", "provider", "channel", "code"]
# Ties in excess (a campaign sent only through one carrier) list the carrier first.
DIMENSION_ORDER = {"carrier": 0, "country": 1, "campaign": 2, "sender": 3}


def top_contributors(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    spikes: pl.DataFrame,
    settings: SpikeSettings,
) -> pl.DataFrame:
    """top_contributors per spike (one query for all spikes).

    A value's excess = its count of the code in the bucket minus what its own baseline
    rate predicts for its messages in the bucket. Its baseline rate is shrunk toward the
    spike's baseline rate with a prior of `contributor_prior_messages` messages, so a value
    without history (a new campaign) is judged by the code's usual rate, not by zero.
    Kept: values whose excess is positive and at least `contributor_min_share` of the
    spike's own excess, the top `contributors_per_dimension` per dimension.

    Order: by how much more of the spike's excess a value carries than its share of the
    bucket's messages would give it (excess - message share * spike excess). A country
    with 90% of the traffic carries 90% of any excess and says nothing; the carrier with
    35% of the traffic and all of the excess is the finding, and comes first. Ties: carrier,
    country, campaign, sender.

    Columns: period_start, provider, channel, code (the spike's key, one row per row of
    SPIKES) and top_contributors (list of struct dimension, value, count, excess).
    """
    scope = filters.with_(code=(), category=())
    key = KEY
    empty = spikes.select(key).with_columns(
        pl.lit([], dtype=pl.List(CONTRIBUTOR)).alias("top_contributors")
    )
    if spikes.is_empty():
        return empty
    found = run(
        con,
        "spike_contributors",
        scope,
        grain=settings.grain,
        baseline_days=settings.baseline_days,
        spikes=spikes.select(key).to_dicts(),
    )
    if found.is_empty():
        return empty
    prior = float(settings.contributor_prior_messages)
    spike_rate = pl.col("baseline_rate").fill_null(0.0)
    counts = ("messages", "count", "baseline_messages", "baseline_count")
    found = found.with_columns(
        pl.col("period_start").cast(pl.Datetime("us")),
        *[pl.col(c).cast(pl.Int64) for c in counts],  # sums arrive as DECIMAL
    ).join(
        spikes.select(
            *key,
            spike_rate.alias("spike_rate"),
            (pl.col("count") - pl.col("messages") * spike_rate).alias("spike_excess"),
            pl.col("messages").alias("spike_messages"),
        ),
        on=key,
        how="inner",
        nulls_equal=True,
    )
    expected_rate = (pl.col("baseline_count") + prior * pl.col("spike_rate")) / (
        pl.col("baseline_messages") + prior
    )
    ranked = (
        found.with_columns(
            (pl.col("count") - pl.col("messages") * expected_rate).alias("excess"),
            pl.col("value").cast(pl.String),
        )
        .with_columns(
            (
                pl.col("excess")
                - pl.col("messages") / pl.col("spike_messages") * pl.col("spike_excess")
            ).alias("_concentration")
        )
        .filter(
            (pl.col("excess") > 0)
            & (pl.col("excess") >= settings.contributor_min_share * pl.col("spike_excess"))
        )
        .with_columns(
            pl.col("dimension").replace_strict(DIMENSION_ORDER, return_dtype=pl.Int32).alias("_d")
        )
        .sort([*key, "_d", "_concentration"], descending=[False] * 4 + [False, True])
        .with_columns(pl.int_range(pl.len()).over([*key, "dimension"]).alias("_rank"))
        .filter(pl.col("_rank") < settings.contributors_per_dimension)
        .sort(["_concentration", "_d"], descending=[True, False], maintain_order=True)
    )
    lists = ranked.group_by(key, maintain_order=True).agg(
        pl.struct(
            "dimension",
            "value",
            pl.col("count").cast(pl.Int64),
            pl.col("excess").round(2),
        ).alias("top_contributors")
    )
    return (
        empty.drop("top_contributors")
        .join(lists, on=key, how="left", nulls_equal=True)
        .with_columns(pl.col("top_contributors").fill_null(pl.lit([], dtype=pl.List(CONTRIBUTOR))))
    )
