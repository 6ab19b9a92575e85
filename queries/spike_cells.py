"""The spike test's cells: every (bucket, provider, channel, code) with its trailing
baseline, exact p-value, Benjamini-Hochberg q-value and verdict. queries/spikes.py explains
the method and holds the settings; this module is its engine.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import polars as pl
from scipy import stats

from deliverability.queries.cube import message_cube
from deliverability.queries.exact_test import hypergeom_sf
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import exposure_keys, ratio
from deliverability.queries.spike_settings import SpikeSettings

KEY = ["provider", "channel", "code"]


def _with_trailing(
    frame: pl.DataFrame, sums: dict[str, tuple[str, int, list[str]]]
) -> pl.DataFrame:
    """Add, for each NAME: (COLUMN, WINDOW, OVER), the sum of COLUMN over the WINDOW rows
    before each row within OVER. FRAME must be sorted by time within OVER, buckets dense."""
    frame = frame.with_columns(
        pl.col(column).cum_sum().over(over).alias(f"_cum_{name}")
        for name, (column, _, over) in sums.items()
    )
    return frame.with_columns(
        (
            pl.col(f"_cum_{name}").shift(1).over(over).fill_null(0)
            - pl.col(f"_cum_{name}").shift(window + 1).over(over).fill_null(0)
        ).alias(name)
        for name, (_, window, over) in sums.items()
    ).drop(f"_cum_{name}" for name in sums)


def _exposure(cube: pl.DataFrame, periods: pl.Series, settings: SpikeSettings) -> pl.DataFrame:
    """Messages per provider/channel (a code cell's exposure, metrics.exposure_keys) on the
    dense bucket grid, with baseline sums."""
    pc = exposure_keys(KEY)
    observed = cube.group_by("period_start", *pc).agg(pl.col("messages").sum())
    grid = (
        observed.select(pc)
        .unique()
        .join(periods.to_frame(), how="cross")
        .join(observed, on=["period_start", *pc], how="left", nulls_equal=True)
        .with_columns(pl.col("messages").fill_null(0), settings.season().alias("season"))
        .with_columns((pl.col("messages") > 0).cast(pl.Int64).alias("traffic"))
        .sort([*pc, "period_start"], nulls_last=True)
    )
    first = (
        grid.filter(pl.col("messages") > 0)
        .group_by(pc)
        .agg(pl.col("period_start").min().alias("first_period"))
    )
    seasonal = [*pc, "season"]
    grid = _with_trailing(
        grid,
        {
            "all_messages": ("messages", settings.window_buckets, pc),
            "season_messages": ("messages", settings.seasonal_buckets, seasonal),
            "season_buckets": ("traffic", settings.seasonal_buckets, seasonal),
        },
    )
    return grid.join(first, on=pc, how="left", nulls_equal=True).drop("traffic")


def _code_cells(
    cube: pl.DataFrame, filters: Filters, settings: SpikeSettings, include: tuple | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(counts per bucket and key, the keys with category and whether they are tested)."""
    chosen = pl.col("outcome").is_in(list(settings.outcomes))
    if filters.code:
        chosen &= pl.col("code").str.to_lowercase().is_in([c.lower() for c in filters.code])
    if filters.category:
        chosen &= pl.col("category").is_in(list(filters.category))
    wanted = chosen
    if include is not None:
        wanted |= (
            (pl.col("provider") == include[0])
            & pl.col("channel").eq_missing(include[1])
            & (pl.col("code") == include[2])
        )
    codes = cube.filter(pl.col("code").is_not_null() & wanted)
    counts = codes.group_by("period_start", *KEY).agg(pl.col("messages").sum().alias("count"))
    keys = codes.group_by(KEY).agg(pl.col("category").first(), chosen.any().alias("testable"))
    if include is not None:
        extra = pl.DataFrame(
            [[*include, None, False]],
            schema={**{k: pl.String for k in KEY}, "category": pl.String, "testable": pl.Boolean},
            orient="row",
        )
        keys = pl.concat([keys, extra]).unique(subset=KEY, keep="first", maintain_order=True)
    return counts, keys


def evaluate(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    settings: SpikeSettings,
    include: tuple[str, str | None, str] | None = None,
) -> pl.DataFrame:
    """Every (bucket, provider, channel, code) cell on the dense grid, with its baseline,
    p_value, q_value, and whether it was tested and is a spike. INCLUDE adds one key even
    when its outcome is not tested (for code_series), without testing it."""
    window = timedelta(days=settings.baseline_days)
    # Exposure is every message of the provider/channel: code and category filters only
    # choose which codes are tested. Data before `since` is read as baseline only.
    fetch = filters.with_(
        code=(), category=(), since=filters.since - window if filters.since else None
    )
    cube = message_cube(con, fetch, grain=settings.grain, dims=("code",))
    if cube.is_empty():
        return pl.DataFrame()
    periods = (
        pl.datetime_range(
            cube["period_start"].min(), cube["period_start"].max(), settings.step, eager=True
        )
        .cast(pl.Datetime("us"))
        .alias("period_start")
    )
    exposure = _exposure(cube, periods, settings)
    counts, keys = _code_cells(cube, filters, settings, include)
    if keys.is_empty():
        return pl.DataFrame()
    cells = (
        keys.join(periods.to_frame(), how="cross")
        .join(counts, on=["period_start", *KEY], how="left", nulls_equal=True)
        .join(exposure, on=["period_start", "provider", "channel"], how="inner", nulls_equal=True)
        .with_columns(pl.col("count").fill_null(0))
        .sort([*KEY, "period_start"], nulls_last=True)
    )
    cells = _with_trailing(
        cells,
        {
            "all_count": ("count", settings.window_buckets, KEY),
            "season_count": ("count", settings.seasonal_buckets, [*KEY, "season"]),
        },
    )
    use_season = (
        pl.lit(settings.seasonal)
        & (pl.col("season_buckets") >= settings.min_seasonal_buckets)
        & (pl.col("season_messages") > 0)
    )
    in_window = pl.lit(True)
    if filters.since is not None:
        in_window &= pl.col("period_start") >= filters.local_since
    if filters.until is not None:
        in_window &= pl.col("period_start") < filters.local_until
    history = pl.col("period_start") - pl.col("first_period")
    has_baseline = (
        in_window
        & (pl.col("messages") > 0)
        & (pl.col("all_messages") >= settings.min_baseline_messages)
        & (history >= timedelta(days=settings.min_baseline_days))
    )
    cells = cells.with_columns(
        use_season.alias("seasonal"),
        pl.when(use_season).then("season_count").otherwise("all_count").alias("base_count"),
        pl.when(use_season)
        .then("season_messages")
        .otherwise("all_messages")
        .alias("base_messages"),
        (has_baseline & pl.col("testable") & (pl.col("count") > 0)).alias("tested"),
    ).with_columns(
        ratio("count", "messages").alias("rate"),
        ratio("base_count", "base_messages").alias("baseline_rate"),
    )
    cells = cells.with_columns(ratio("rate", "baseline_rate").alias("ratio"))
    return _test(cells, settings)


def _test(cells: pl.DataFrame, settings: SpikeSettings) -> pl.DataFrame:
    """p_value (exact conditional test), q_value (BH over tested cells), is_spike."""
    tested = cells["tested"].to_numpy()
    k = cells["count"].to_numpy().astype(np.int64)
    n = cells["messages"].to_numpy().astype(np.int64)
    k0 = cells["base_count"].to_numpy().astype(np.int64)
    n0 = cells["base_messages"].to_numpy().astype(np.int64)
    p = np.ones(len(cells))
    q = np.full(len(cells), np.nan)
    if tested.any():
        p[tested] = hypergeom_sf(
            k[tested], n[tested] + n0[tested], k[tested] + k0[tested], n[tested]
        )
        p = np.clip(p, 0.0, 1.0)
        q[tested] = stats.false_discovery_control(p[tested], method="bh")
    never_seen = pl.col("all_count") == 0
    ratio_ok = (pl.col("baseline_rate").fill_null(0) == 0) | (pl.col("ratio") >= settings.min_ratio)
    return cells.with_columns(
        pl.Series("p_value", p).fill_nan(None),
        pl.Series("q_value", q).fill_nan(None),
    ).with_columns(
        pl.when(~pl.col("tested")).then(None).otherwise(pl.col("p_value")).alias("p_value"),
        (
            pl.col("tested")
            & (pl.col("count") >= settings.min_count)
            & (((pl.col("q_value") <= settings.fdr) & ratio_ok) | never_seen)
        ).alias("is_spike"),
    )
