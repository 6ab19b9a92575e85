"""Is a code spiking, when, and at which carrier, country, campaign or sender?

For every (provider, channel, code) and time bucket, the bucket's count of the code out of
all messages of that provider and channel (the exposure) is compared with a trailing
baseline of the same code at the same provider and channel:

- Baseline: the `baseline_days` before the bucket. Where the data allows (at least
  `min_seasonal_buckets` matching buckets with traffic), only the matching buckets count:
  the same hour of the day for the hour grain, the same day of the week for the day grain.
  Otherwise (a short history) the whole window. The seasonal baseline is used even when it
  is small (quiet night hours): the exact test accounts for its size, whereas the whole
  window would compare a night with the day's different rates.
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

SQL (message_cube.sql, spike_contributors.sql) counts; polars, numpy (exact_test.py) and scipy
do the statistics.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
from scipy import stats

from deliverability.queries.filters import Filters
from deliverability.queries.report import attach_code_names
from deliverability.queries.spike_cells import KEY, evaluate
from deliverability.queries.spike_contributors import CONTRIBUTOR, top_contributors
from deliverability.queries.spike_settings import SpikeSettings

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
    cells = evaluate(con, filters, settings)
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


def spike_tests(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None = None,
    settings: SpikeSettings | None = None,
) -> pl.DataFrame:
    """Every cell the spike test looked at (tested: the code occurred, full baseline).

    For diagnostics and calibration: how many cells were tested, and how their p-values
    spread. Columns: period_start, provider, channel, code, category, count, messages,
    rate, baseline_count, baseline_messages (int: the baseline actually used), baseline_rate,
    ratio, seasonal (bool: the matching-bucket baseline was used), p_value, q_value,
    is_spike. Sorted by p_value.
    """
    settings = settings or SpikeSettings()
    cells = evaluate(con, filters or Filters(), settings)
    schema = {
        "period_start": pl.Datetime("us"),
        **{k: pl.String for k in (*KEY, "category")},
        "count": pl.Int64,
        "messages": pl.Int64,
        "rate": pl.Float64,
        "baseline_count": pl.Int64,
        "baseline_messages": pl.Int64,
        "baseline_rate": pl.Float64,
        "ratio": pl.Float64,
        "seasonal": pl.Boolean,
        "p_value": pl.Float64,
        "q_value": pl.Float64,
        "is_spike": pl.Boolean,
    }
    if cells.is_empty():
        return pl.DataFrame(schema=schema)
    return (
        cells.filter(pl.col("tested"))
        .rename({"base_count": "baseline_count", "base_messages": "baseline_messages"})
        .with_columns(pl.col(c).cast(t) for c, t in schema.items() if t == pl.Int64)
        .sort(["p_value", "period_start", *KEY], nulls_last=True)
        .select(list(schema))
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
    cells = evaluate(con, filters, settings, include=(provider, channel, code))
    if cells.is_empty():
        return pl.DataFrame(schema=schema)
    series = cells.filter(
        (pl.col("provider") == provider)
        & pl.col("channel").eq_missing(channel)
        & (pl.col("code") == code)
    )
    if filters.since is not None:
        series = series.filter(pl.col("period_start") >= filters.local_since)
    if filters.until is not None:
        series = series.filter(pl.col("period_start") < filters.local_until)
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
