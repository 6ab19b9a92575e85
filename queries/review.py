"""The weekly deliverability review: how did we do, what got worse, what spiked, what is new,
and can we trust the data. One `Review` per ISO week, computed here once and rendered by
deliverability/render/ (review_html, review_markdown, review_json) and the dashboard's
Weekly review page; both draw their charts from `daily` and `daily_rates`.

The week is Monday 00:00 UTC to the next Monday. Comparisons:

* headline: this week vs the previous week, and vs the 4-week baseline (the 4 weeks before
  this one; its counts are averaged per week that has data, its rates are rates over the
  whole 4 weeks);
* worse / better: codes, carriers, countries and campaigns whose failure rate changed
  significantly vs the previous week or vs the 4-week baseline, the false discovery rate
  controlled over both (queries/review_changes.py), most significant first, each saying
  which comparison flagged it;
* spikes: queries.spikes at day grain (or hour) inside the week, with their contributors;
* new codes: reported this week by a provider and channel that never reported them in the
  4 weeks before (providers without reports in those weeks are left out);
* data quality: per provider the share of sent messages with no delivery report, rejected
  rows (files ingested during the week, and overall), and gaps: days of the week without
  any message (overall, or of a provider that had messages in the 4 weeks before), and days
  with messages but no delivery report of a provider that usually has them;
* notes: every reviewer's note covering the week (see queries/notes.py).

Phone numbers never appear in a review: every text value passes `scrub_phones`
(queries/privacy.py), which masks them to their last four digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import polars as pl

from deliverability.notes import normalise_week, week_bounds, week_label
from deliverability.queries.compare import (
    change,
    summarise,
)
from deliverability.queries.cube import COUNTS, reusing_cubes
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import RATES, rate
from deliverability.queries.notes import notes_covering
from deliverability.queries.privacy import scrub_contributors, scrub_frame
from deliverability.queries.review_changes import changes
from deliverability.queries.review_checks import (
    gaps,
    ingests,
    new_codes,
    report_coverage,
    require_midnights,
)
from deliverability.queries.runner import run
from deliverability.queries.spikes import SpikeSettings, find_spikes
from deliverability.queries.timeseries import outcomes_over_time

BASELINE_WEEKS = 4
REVIEW_DIMENSIONS = ("code", "carrier", "country", "campaign")
# A change in a row with fewer messages than this in both weeks is not worth a reviewer's
# time, however significant the test calls it.
MIN_MESSAGES = 30
# Rows kept per dimension in worse / better.
TOP = 15

# A week counts as complete once the data reaches its Sunday: an export taken on Sunday
# night (or Monday morning, before Monday's traffic) should review the week it ends.
LAST_DAY = timedelta(days=1)


@dataclass
class Review:
    """Everything one weekly review shows. Frames are polars; times are naive UTC."""

    week: str  # ISO week, 'YYYY-Www'
    start: datetime  # Monday 00:00 UTC
    end: datetime  # the next Monday 00:00 UTC (exclusive)
    complete: bool  # the store's data reaches the week's last day
    data_until: datetime | None  # the store's latest message time
    # {"current", "previous", "baseline": counts and rates (baseline counts per week),
    #  "vs_previous", "vs_baseline": {messages: change, messages_pct, *_rate: change in pp,
    #  failure_rate_p_value}, "baseline_weeks": weeks of the baseline with data}
    headline: dict
    daily: pl.DataFrame  # outcomes_over_time by day over the baseline and the week
    # Every day of the baseline and the week: day, messages, failed, failure_rate (null on a
    # day without messages).
    daily_rates: pl.DataFrame
    worse: dict[str, pl.DataFrame]  # dimension -> rows (see module docstring)
    better: dict[str, pl.DataFrame]
    spikes: pl.DataFrame  # SPIKE columns without top_contributors, plus `spike` (its id)
    spike_contributors: pl.DataFrame  # spike, dimension, value, count, excess
    new_codes: pl.DataFrame  # provider, channel, code, name, category, events, messages, ...
    uncatalogued: pl.DataFrame  # provider, channel, code, example_text, events, messages, ...
    report_coverage: pl.DataFrame  # provider, messages, with_send, no_report, no_report_share
    ingests: dict  # files/rows_read/rejected this week and overall
    rejections: pl.DataFrame  # period ('this week' | 'overall'), reason, rows, files
    gaps: pl.DataFrame  # day, provider (null: every provider), kind, usual_per_day
    notes: pl.DataFrame  # note_id, scope, subject, week, body, author, created_at
    spike_grain: str = "day"
    settings: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        last = (self.end - timedelta(days=1)).date()
        return f"Deliverability review {self.week} ({self.start.date()} to {last})"

    def worse_count(self) -> int:
        return sum(f.height for f in self.worse.values())


# -- which week -------------------------------------------------------------------------------


def available_weeks(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """week ('YYYY-Www'), start, end, messages, complete (the data reaches the week's Sunday);
    newest first."""
    frame = run(con, "weeks_in_store")
    if frame.is_empty():
        return pl.DataFrame(
            schema={
                "week": pl.String,
                "start": pl.Datetime("us"),
                "end": pl.Datetime("us"),
                "messages": pl.Int64,
                "complete": pl.Boolean,
            }
        )
    frame = frame.with_columns(pl.col("week_start").cast(pl.Datetime("us")).alias("start"))
    frame = frame.with_columns((pl.col("start") + pl.duration(days=7)).alias("end"))
    return (
        frame.with_columns(
            pl.col("start").map_elements(week_label, return_dtype=pl.String).alias("week"),
            (pl.col("end") - LAST_DAY <= pl.col("store_last_at").cast(pl.Datetime("us"))).alias(
                "complete"
            ),
            pl.col("messages").cast(pl.Int64),
        )
        .select("week", "start", "end", "messages", "complete")
        .sort("start", descending=True)
    )


def default_week(con: duckdb.DuckDBPyConnection) -> str | None:
    """The last complete ISO week in the store: the latest week with messages whose last day
    (Sunday) has data; if none is complete, the latest week; None when the store is empty."""
    weeks = available_weeks(con)
    if weeks.is_empty():
        return None
    complete = weeks.filter(pl.col("complete"))
    return (complete if complete.height else weeks)["week"][0]


# -- the parts --------------------------------------------------------------------------------


def _review_counts(con, start: datetime, end: datetime) -> dict[str, tuple[pl.DataFrame, ...]]:
    """Per review dimension, its counts (a message cube by that dimension, see
    queries/cube.py) of the week, the week before and the baseline: one query by week over
    all of them, split."""
    # The query reads counts by day (rollup_dims_day).
    require_midnights("week counts", start, end)
    baseline_start = start - timedelta(days=7 * BASELINE_WEEKS)
    counts = run(con, "counts_by_week_and_dimension", since=baseline_start, until=end)
    counts = counts.with_columns(pl.col("period_start").cast(pl.Datetime("us")))
    week = pl.col("period_start")
    periods = (week == start, week == start - timedelta(days=7), week < start)
    by_dimension = counts.partition_by("dimension", as_dict=True, include_key=False)
    empty = counts.clear().drop("dimension")
    return {
        dim: tuple(by_dimension.get((dim,), empty).filter(period) for period in periods)
        for dim in REVIEW_DIMENSIONS
    }


def _headline(current: pl.DataFrame, previous: pl.DataFrame, baseline: pl.DataFrame) -> dict:
    cur, prev = summarise(current), summarise(previous)
    weeks = baseline["period_start"].n_unique()
    whole_baseline = summarise(baseline)
    # Its counts are per week that has data; its rates are over the whole 4 weeks.
    base = dict(whole_baseline)
    for key in COUNTS:
        base[key] = base[key] / max(weeks, 1)
    vs_baseline = change(cur, whole_baseline)
    return {
        "current": cur,
        "previous": prev,
        "baseline": base,
        "baseline_weeks": weeks,
        "vs_previous": change(cur, prev),
        "vs_baseline": {
            "messages": cur["messages"] - base["messages"],
            "messages_pct": (
                (cur["messages"] - base["messages"]) / base["messages"] * 100
                if base["messages"]
                else None
            ),
            **{name: vs_baseline[name] for name in RATES},
            "failure_rate_p_value": vs_baseline["failure_rate_p_value"],
        },
    }


def _spikes(con, current: Filters, grain: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    found = find_spikes(con, current, SpikeSettings(grain=grain))
    found = found.with_row_index("spike", offset=1).with_columns(pl.col("spike").cast(pl.Int64))
    contributors = (
        found.select("spike", "top_contributors")
        .explode("top_contributors")
        .drop_nulls("top_contributors")
        .unnest("top_contributors")
    )
    if contributors.is_empty():
        contributors = pl.DataFrame(
            schema={
                "spike": pl.Int64,
                "dimension": pl.String,
                "value": pl.String,
                "count": pl.Int64,
                "excess": pl.Float64,
            }
        )
    return scrub_frame(found.drop("top_contributors")), scrub_contributors(contributors)


def _daily_rates(daily: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """The failure rate of every day in [START, END), from the daily outcomes."""
    days = pl.DataFrame(
        {"day": pl.datetime_range(start, end, "1d", closed="left", eager=True, time_unit="us")}
    )
    per_day = daily.group_by(pl.col("period_start").alias("day")).agg(
        pl.col("messages").sum(),
        pl.col("messages").filter(pl.col("outcome") == "failed").sum().alias("failed"),
    )
    return (
        days.join(per_day, on="day", how="left")
        .with_columns(pl.col("messages", "failed").fill_null(0).cast(pl.Int64))
        .with_columns(rate("failure_rate"))
        .sort("day")
    )


# -- the review -------------------------------------------------------------------------------


def weekly_review(
    con: duckdb.DuckDBPyConnection,
    week: str | None = None,
    *,
    spike_grain: str = "day",
    min_messages: int = MIN_MESSAGES,
    top: int = TOP,
) -> Review:
    """The review of WEEK ('YYYY-Www'; default: the last complete week, see default_week)."""
    if week is None:
        week = default_week(con)
        if week is None:
            raise ValueError("the store holds no messages yet: ingest send logs or reports first")
    week = normalise_week(week)
    # The daily outcomes are summed from the spike cells' cube by code and day: both span
    # the baseline and the week.
    with reusing_cubes():
        return _build_review(con, week, spike_grain, min_messages, top)


def _build_review(
    con: duckdb.DuckDBPyConnection, week: str, spike_grain: str, min_messages: int, top: int
) -> Review:
    start, end = week_bounds(week)
    baseline_start = start - timedelta(days=7 * BASELINE_WEEKS)
    current = Filters(since=start, until=end)

    data_until = run(con, "time_range")["last_at"][0]
    counts = _review_counts(con, start, end)
    worse, better = changes(con, counts, REVIEW_DIMENSIONS, min_messages, top)
    spikes, contributors = _spikes(con, current, spike_grain)
    rejected, reasons = ingests(con, start, end)
    daily = outcomes_over_time(con, Filters(since=baseline_start, until=end), grain="day")
    return Review(
        week=week,
        start=start,
        end=end,
        complete=data_until is not None and data_until >= end - LAST_DAY,
        data_until=data_until,
        headline=_headline(*counts["code"]),
        daily=daily,
        daily_rates=_daily_rates(daily, baseline_start, end),
        worse=worse,
        better=better,
        spikes=spikes,
        spike_contributors=contributors,
        new_codes=new_codes(con, start, end, baseline_start),
        uncatalogued=scrub_frame(run(con, "uncatalogued_in_period", since=start, until=end)),
        report_coverage=report_coverage(con, start, end),
        ingests=rejected,
        rejections=reasons,
        gaps=gaps(con, start, end, baseline_start, data_until),
        notes=scrub_frame(notes_covering(con, week)),
        spike_grain=spike_grain,
        settings={"min_messages": min_messages, "top": top, "baseline_weeks": BASELINE_WEEKS},
    )
