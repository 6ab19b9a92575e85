"""The review's "what got worse / better": each code, carrier, country and campaign tested
against the previous week and against the 4-week baseline, with the false discovery rate
controlled over every test of both comparisons (Benjamini-Hochberg). A rise spread over
two weeks shows against the baseline when the previous week had it too.

A row is worse when either comparison says so at q <= FDR (better likewise, when neither
says worse); `flagged_by` says which: previous_week, baseline or both. Rows with fewer than
`min_messages` messages in both this week and the previous one are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import polars as pl
from scipy import stats

from deliverability.queries.compare import ENGINE, compare_counts, with_code_names
from deliverability.queries.privacy import scrub_frame

FDR = 0.05


def _bh(frames: Sequence[pl.DataFrame]) -> list[pl.DataFrame]:
    """q_value and q_value_baseline: Benjamini-Hochberg over the p-values of every row's
    two tests, across FRAMES."""
    p = np.concatenate(
        [f[c].to_numpy(allow_copy=True).astype(float) for f in frames
         for c in ("p_value", "p_value_baseline")]
    )  # fmt: skip
    q = np.full(len(p), np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        q[tested] = stats.false_discovery_control(p[tested], method="bh")
    out, at = [], 0
    for frame in frames:
        n = frame.height
        out.append(
            frame.with_columns(
                pl.Series("q_value", q[at : at + n]).fill_nan(None),
                pl.Series("q_value_baseline", q[at + n : at + 2 * n]).fill_nan(None),
            )
        )
        at += 2 * n
    return out


def _flag(frame: pl.DataFrame) -> pl.DataFrame:
    worse_prev = (pl.col("q_value") <= FDR) & (pl.col("z") > 0)
    worse_base = (pl.col("q_value_baseline") <= FDR) & (pl.col("z_baseline") > 0)
    better_prev = (pl.col("q_value") <= FDR) & (pl.col("z") < 0)
    better_base = (pl.col("q_value_baseline") <= FDR) & (pl.col("z_baseline") < 0)
    worse = worse_prev.fill_null(False) | worse_base.fill_null(False)
    better = ~worse & (better_prev.fill_null(False) | better_base.fill_null(False))
    prev = pl.when(worse).then(worse_prev).otherwise(better_prev).fill_null(False)
    base = pl.when(worse).then(worse_base).otherwise(better_base).fill_null(False)
    return frame.with_columns(
        pl.when(worse).then(pl.lit("worse")).when(better).then(pl.lit("better"))
        .otherwise(pl.lit("same")).alias("direction"),
        pl.when(prev & base).then(pl.lit("both")).when(prev).then(pl.lit("previous_week"))
        .when(base).then(pl.lit("baseline")).alias("flagged_by"),
        pl.min_horizontal("q_value", "q_value_baseline").alias("_q"),
    )  # fmt: skip


def changes(
    con: duckdb.DuckDBPyConnection,
    counts: dict[str, tuple[pl.DataFrame, ...]],
    dimensions: Sequence[str],
    min_messages: int,
    top: int,
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """(worse, better): per dimension, its rows that changed, most significant first (at
    most TOP). COUNTS: dimension -> (this week's, the previous week's, the baseline's cube)."""
    plans = []
    for dim in dimensions:
        current, previous, baseline = counts[dim]
        frame = compare_counts(current, previous, [dim], min_messages=min_messages)
        columns = frame.collect_schema().names()
        keys = columns[: columns.index("messages_current")]
        against = compare_counts(current, baseline, [dim]).select(
            *keys,
            pl.col("rate_previous").alias("rate_baseline"),
            pl.col("z").alias("z_baseline"),
            pl.col("p_value").alias("p_value_baseline"),
            pl.col("delta_pp").alias("delta_pp_baseline"),
        )
        plans.append(
            frame.join(against, on=keys, how="left", nulls_equal=True, maintain_order="left")
        )
    frames = _bh(pl.collect_all(plans, engine=ENGINE))
    worse: dict[str, pl.DataFrame] = {}
    better: dict[str, pl.DataFrame] = {}
    for dim, frame in zip(dimensions, frames, strict=True):
        frame = with_code_names(con, _flag(frame))
        order = ["_q", "messages_current"]
        worse[dim] = scrub_frame(
            frame.filter(pl.col("direction") == "worse")
            .sort(order, descending=[False, True], nulls_last=True)
            .head(top)
            .drop("_q")
        )
        better[dim] = scrub_frame(
            frame.filter(pl.col("direction") == "better")
            .sort(order, descending=[False, True], nulls_last=True)
            .head(top)
            .drop("_q")
        )
    return worse, better
