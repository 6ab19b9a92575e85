"""Is a code spiking, when, and at which carrier, country, campaign or sender?

For every (provider, channel, code) and time bucket, the bucket's count of the code out of
all messages of that provider and channel (the exposure) is compared with a trailing
baseline of the same code at the same provider and channel:

- Baseline: the `baseline_days` before the bucket. Where the data allows (at least
  `min_seasonal_buckets` matching buckets with traffic and `min_baseline_messages`
  messages in them), only the matching buckets count: the same hour of the day for the hour
  grain, the same day of the week for the day grain. Otherwise the whole window.
- Test: one-sided exact conditional test of "the bucket's rate is higher than the
  baseline's": given the code's total count over bucket + baseline, the bucket's share is
  hypergeometric under equal rates (Fisher's exact test, the binomial counterpart of the
  Poisson rate-ratio test with messages as exposure). It accounts for the volume of both
  the bucket and the baseline, so a thin baseline cannot fake a spike.
- Benjamini-Hochberg over every cell tested (q_value). A spike is a tested cell with
  count >= min_count, ratio >= min_ratio and q_value <= fdr; or, whatever the test says, a
  code never seen in the baseline window whose count reaches min_count.
- Cells tested: every bucket inside the filters' [since, until) (all data when open) where
  the code occurred and whose provider/channel has a full-enough baseline (see
  SpikeSettings). Data before `since` is read only as baseline.

SQL (message_cube.sql, spike_contributors.sql) counts; polars and scipy do the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import duckdb
import numpy as np
import polars as pl
from scipy import stats

from queries.cube import message_cube
from queries.filters import Filters
from queries.report import attach_code_names
from queries.spike_contributors import CONTRIBUTOR, top_contributors

SPIKE_COLUMNS = (
    "period_start",
    "grain",
    "provider",
    "channel",
    "code",
    "category",
    "name",
    "count",
    "messages",
    "rate",
    "baseline_rate",
    "ratio",
    "p_value",
    "q_value",
    "top_contributors",
)
KEY = ["provider", "channel", "code"]


@dataclass(frozen=True)
class SpikeSettings:
    """Thresholds of the spike test. Every default is argued for in its comment."""

    # Hour for operations ("is it spiking right now?", cron alerts); day for reviews.
    grain: str = "hour"
    # Four full weeks: four samples of each weekday for the day grain, 28 of each hour for
    # the hour grain; long enough to smooth noise, short enough to follow slow drift.
    baseline_days: int = 28
    # Fewer than 10 occurrences is an anecdote nobody acts on, however unusual: it keeps
    # rare codes at low volume from alerting (and the exact test has little power below).
    min_count: int = 10
    # At real volumes a few percent of day-to-day drift is "significant"; an alert needs
    # the rate at least doubled, which is also the size of change operators act on.
    min_ratio: float = 2.0
    # Alerts page people and fail CI: at 1% FDR a run over pure noise raises any alert at
    # all with probability <= 1% (BH controls the family-wise error when nothing changed).
    fdr: float = 0.01
    # Match hour of day / day of week where the data allows (rates follow daily cycles).
    seasonal: bool = True
    # The smallest baseline worth comparing with: with 1000 messages a code at 0.3% or
    # more would have shown up (P(unseen) ~ 5%), so "never seen" means something.
    min_baseline_messages: int = 1000
    # A provider/channel needs a week of history before its buckets are tested: the first
    # days of a new integration are not a baseline.
    min_baseline_days: int = 7
    # Seasonal matching needs at least 3 matching buckets with traffic (3 same weekdays,
    # i.e. 3 weeks, for the day grain); fewer is noisier than the whole window.
    min_seasonal_buckets: int = 3
    # Outcomes whose codes are tested. Delivered codes cannot meaningfully double; pending
    # codes are messages still in flight, so their rate in the newest buckets measures
    # receipt latency, not a problem. Unknown (uncatalogued) codes are tested: new ones
    # are exactly what a spike alert should surface.
    outcomes: tuple[str, ...] = ("failed", "unconfirmed", "unknown")
    # Contributors kept per dimension (carrier, country, campaign, sender) for each spike.
    contributors_per_dimension: int = 3
    # Weight, in messages, of the spike's own baseline rate when a contributor's value has
    # little baseline of its own (a new campaign): empirical-Bayes shrinkage toward it.
    contributor_prior_messages: int = 100
    # A contributor must carry at least 10% of the spike's excess: smaller shares are the
    # noise of splitting a bucket four ways, not a cause.
    contributor_min_share: float = 0.1
    # code_series band: the central 99% of rates the baseline predicts at that volume.
    band: float = 0.99

    def __post_init__(self) -> None:
        if self.grain not in ("hour", "day"):
            raise ValueError(f"spike grain must be hour or day, not {self.grain!r}")
        if self.baseline_days < 7:
            raise ValueError("baseline_days must be at least 7")

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self.grain == "hour" else timedelta(days=1)


def _trailing(column: str, window: int, over: list[str]) -> pl.Expr:
    """Sum of COLUMN over the WINDOW rows before this one within OVER (rows sorted, dense)."""
    cum = pl.col(column).cum_sum().over(over)
    return cum.shift(1).over(over).fill_null(0) - cum.shift(window + 1).over(over).fill_null(0)


def _exposure(cube: pl.DataFrame, periods: pl.Series, settings: SpikeSettings) -> pl.DataFrame:
    """Messages per provider/channel on the dense bucket grid, with baseline sums."""
    pc = ["provider", "channel"]
    observed = cube.group_by("period_start", *pc).agg(pl.col("messages").sum())
    grid = observed.select(pc).unique().join(periods.to_frame(), how="cross")
    per_day = 24 if settings.grain == "hour" else 1
    season = (
        pl.col("period_start").dt.hour()
        if settings.grain == "hour"
        else (pl.col("period_start").dt.weekday())
    )
    seasonal_window = (
        settings.baseline_days if settings.grain == "hour" else (settings.baseline_days // 7)
    )
    grid = (
        grid.join(observed, on=["period_start", *pc], how="left", nulls_equal=True)
        .with_columns(pl.col("messages").fill_null(0), season.alias("season"))
        .sort([*pc, "period_start"], nulls_last=True)
        .with_columns((pl.col("messages") > 0).cast(pl.Int64).alias("_traffic"))
    )
    first = (
        grid.filter(pl.col("messages") > 0)
        .group_by(pc)
        .agg(pl.col("period_start").min().alias("first_period"))
    )
    return (
        grid.with_columns(
            _trailing("messages", settings.baseline_days * per_day, pc).alias("all_messages"),
            _trailing("messages", seasonal_window, [*pc, "season"]).alias("season_messages"),
            _trailing("_traffic", seasonal_window, [*pc, "season"]).alias("season_buckets"),
        )
        .join(first, on=pc, how="left", nulls_equal=True)
        .drop("_traffic")
    )


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    settings: SpikeSettings,
    include: tuple[str, str | None, str] | None = None,
) -> pl.DataFrame:
    """Every (bucket, provider, channel, code) cell on the dense grid, with its baseline,
    p_value, q_value, and whether it was tested and is a spike. INCLUDE adds one key even
    when its outcome is not tested (for code_series), without testing it."""
    filters = filters or Filters()
    window = timedelta(days=settings.baseline_days)
    fetch = filters.with_(
        code=(), category=(), since=filters.since - window if filters.since else None
    )
    cube = message_cube(con, fetch, grain=settings.grain, dims=("code",))
    if cube.is_empty():
        return pl.DataFrame()
    periods = pl.datetime_range(
        cube["period_start"].min(),
        cube["period_start"].max(),
        settings.step,
        eager=True,
        time_unit="us",
    ).alias("period_start")
    exposure = _exposure(cube, periods, settings)

    chosen = pl.col("outcome").is_in(list(settings.outcomes))
    if filters.code:
        chosen &= pl.col("code").str.to_lowercase().is_in([c.lower() for c in filters.code])
    if filters.category:
        chosen &= pl.col("category").is_in(list(filters.category))
    wanted = chosen
    if include is not None:
        provider, channel, code = include
        wanted = chosen | (
            (pl.col("provider") == provider)
            & pl.col("channel").eq_missing(channel)
            & (pl.col("code") == code)
        )
    codes = cube.filter(pl.col("code").is_not_null() & wanted).with_columns(
        chosen.alias("testable")
    )
    counts = codes.group_by("period_start", *KEY).agg(pl.col("messages").sum().alias("count"))
    keys = codes.group_by(KEY).agg(pl.col("category").first(), pl.col("testable").any())
    if (
        include is not None
        and keys.filter(
            (pl.col("provider") == include[0])
            & pl.col("channel").eq_missing(include[1])
            & (pl.col("code") == include[2])
        ).is_empty()
    ):
        keys = pl.concat(
            [
                keys,
                pl.DataFrame(
                    {"provider": [include[0]], "channel": [include[1]], "code": [include[2]]},
                    schema={k: pl.String for k in KEY},
                ).with_columns(
                    pl.lit(None, pl.String).alias("category"), pl.lit(False).alias("testable")
                ),
            ]
        )
    if keys.is_empty():
        return pl.DataFrame()
    per_day = 24 if settings.grain == "hour" else 1
    seasonal_window = (
        settings.baseline_days if settings.grain == "hour" else (settings.baseline_days // 7)
    )
    cells = (
        keys.join(periods.to_frame(), how="cross")
        .join(counts, on=["period_start", *KEY], how="left", nulls_equal=True)
        .join(exposure, on=["period_start", "provider", "channel"], how="inner", nulls_equal=True)
        .with_columns(pl.col("count").fill_null(0))
        .sort([*KEY, "period_start"], nulls_last=True)
        .with_columns(
            _trailing("count", settings.baseline_days * per_day, KEY).alias("all_count"),
            _trailing("count", seasonal_window, [*KEY, "season"]).alias("season_count"),
        )
    )
    use_season = (
        pl.lit(settings.seasonal)
        & (pl.col("season_buckets") >= settings.min_seasonal_buckets)
        & (pl.col("season_messages") >= settings.min_baseline_messages)
    )
    in_window = pl.lit(True)
    if filters.since is not None:
        in_window &= pl.col("period_start") >= filters.since
    if filters.until is not None:
        in_window &= pl.col("period_start") < filters.until
    history = pl.col("period_start") - pl.col("first_period")
    cells = (
        cells.with_columns(
            pl.when(use_season).then("season_count").otherwise("all_count").alias("base_count"),
            pl.when(use_season)
            .then("season_messages")
            .otherwise("all_messages")
            .alias("base_messages"),
            (
                in_window
                & (pl.col("messages") > 0)
                & (pl.col("all_messages") >= settings.min_baseline_messages)
                & (history >= timedelta(days=settings.min_baseline_days))
            ).alias("has_baseline"),
        )
        .with_columns(
            pl.when(pl.col("messages") > 0)
            .then(pl.col("count") / pl.col("messages"))
            .alias("rate"),
            pl.when(pl.col("base_messages") > 0)
            .then(pl.col("base_count") / pl.col("base_messages"))
            .alias("baseline_rate"),
            (pl.col("has_baseline") & pl.col("testable") & (pl.col("count") > 0)).alias("tested"),
        )
        .with_columns(
            pl.when(pl.col("baseline_rate") > 0)
            .then(pl.col("rate") / pl.col("baseline_rate"))
            .alias("ratio"),
        )
    )
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
        p[tested] = stats.hypergeom.sf(
            k[tested] - 1, n[tested] + n0[tested], k[tested] + k0[tested], n[tested]
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


def _empty_spikes() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "period_start": pl.Datetime("us"),
            "grain": pl.String,
            "provider": pl.String,
            "channel": pl.String,
            "code": pl.String,
            "category": pl.String,
            "name": pl.String,
            "count": pl.Int64,
            "messages": pl.Int64,
            "rate": pl.Float64,
            "baseline_rate": pl.Float64,
            "ratio": pl.Float64,
            "p_value": pl.Float64,
            "q_value": pl.Float64,
            "top_contributors": pl.List(CONTRIBUTOR),
        }
    )


def find_spikes(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None = None,
    settings: SpikeSettings | None = None,
) -> pl.DataFrame:
    """The spikes under FILTERS, most significant first.

    Columns: period_start (datetime, UTC start of the bucket), grain ('hour' | 'day'),
    provider, channel, code, category, name (catalog name, null when uncatalogued), count
    (int, messages of the bucket ending on the code), messages (int, all messages of that
    provider and channel in the bucket: the exposure), rate (float, count / messages),
    baseline_rate (float, the code's rate over the baseline; 0 when never seen), ratio
    (float, rate / baseline_rate; null when the baseline never saw the code), p_value
    (float, one-sided exact test), q_value (float, Benjamini-Hochberg over all cells
    tested), top_contributors (list of {dimension, value, count, excess}: the carrier,
    country, campaign and sender values carrying the excess over baseline, largest first).
    Sorted by p_value, then period_start, provider, channel, code.
    """
    settings = settings or SpikeSettings()
    filters = filters or Filters()
    cells = _evaluate(con, filters, settings)
    if cells.is_empty() or not cells["is_spike"].any():
        return _empty_spikes()
    spikes = cells.filter(pl.col("is_spike")).with_columns(
        pl.lit(settings.grain).alias("grain"),
        pl.col("baseline_rate").fill_null(0.0),
    )
    spikes = attach_code_names(con, spikes)
    contributors = top_contributors(con, filters, spikes, settings)
    spikes = spikes.join(contributors, on=["period_start", *KEY], how="left", nulls_equal=True)
    return (
        spikes.with_columns(pl.col("count").cast(pl.Int64), pl.col("messages").cast(pl.Int64))
        .sort(["p_value", "period_start", *KEY], nulls_last=True)
        .select(SPIKE_COLUMNS)
    )


def code_series(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None,
    provider: str,
    channel: str | None,
    code: str,
    settings: SpikeSettings | None = None,
) -> pl.DataFrame:
    """One code's rate per bucket against its baseline band, for a chart.

    Columns: period_start (datetime; every bucket of the window, also those without the
    code), count (int), messages (int, exposure of provider/channel), rate (float, null
    without messages), baseline_rate (float, null without a baseline), baseline_low,
    baseline_high (float: the central `band` share of rates the baseline predicts at the
    bucket's volume, binomial quantiles / messages; null without baseline or messages),
    is_spike (bool, exactly as find_spikes decides). Sorted by period_start.
    """
    settings = settings or SpikeSettings()
    filters = filters or Filters()
    schema = {
        "period_start": pl.Datetime("us"),
        "count": pl.Int64,
        "messages": pl.Int64,
        "rate": pl.Float64,
        "baseline_rate": pl.Float64,
        "baseline_low": pl.Float64,
        "baseline_high": pl.Float64,
        "is_spike": pl.Boolean,
    }
    cells = _evaluate(con, filters, settings, include=(provider, channel, code))
    if cells.is_empty():
        return pl.DataFrame(schema=schema)
    series = cells.filter(
        (pl.col("provider") == provider)
        & pl.col("channel").eq_missing(channel)
        & (pl.col("code") == code)
    )
    if filters.since is not None:
        series = series.filter(pl.col("period_start") >= filters.since)
    if filters.until is not None:
        series = series.filter(pl.col("period_start") < filters.until)
    n = series["messages"].to_numpy().astype(np.float64)
    p0 = series["baseline_rate"].fill_null(np.nan).to_numpy()
    ok = (n > 0) & ~np.isnan(p0) & (series["base_messages"].to_numpy() > 0)
    tail = (1 - settings.band) / 2
    low = np.full(len(series), np.nan)
    high = np.full(len(series), np.nan)
    if ok.any():
        low[ok] = stats.binom.ppf(tail, n[ok], p0[ok]) / n[ok]
        high[ok] = stats.binom.isf(tail, n[ok], p0[ok]) / n[ok]
    return (
        series.with_columns(
            pl.Series("baseline_low", low).fill_nan(None),
            pl.Series("baseline_high", high).fill_nan(None),
            pl.when(pl.col("base_messages") > 0)
            .then(pl.col("baseline_rate"))
            .alias("baseline_rate"),
            pl.col("count").cast(pl.Int64),
            pl.col("messages").cast(pl.Int64),
        )
        .sort("period_start")
        .select(list(schema))
    )
