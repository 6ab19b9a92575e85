"""The message cube: counts by time bucket and any dimensions, the base of every analysis.

SQL (queries/sql/message_cube.sql) only counts; comparisons, breakdowns and spike tests
turn these counts into rates with polars.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time

import duckdb
import polars as pl

from queries.filters import Filters
from queries.runner import run

GRAINS = ("hour", "day", "week")
CUBE_DIMENSIONS = (
    "provider",
    "channel",
    "code",
    "category",
    "outcome",
    "carrier",
    "country",
    "campaign",
    "sender",
)
COUNTS = ("messages", "delivered", "failed", "pending", "unconfirmed", "no_report", "unknown")
DEFAULT_DIMS = ("provider", "channel", "code", "category", "carrier", "country", "campaign")
# `code` alone is ambiguous (4000 means different things per provider): it always brings
# the provider and channel, and its category and outcome (which depend on the code only).
CODE_DIMS = ("provider", "channel", "code", "category", "outcome")


def cube_columns(dims: Sequence[str]) -> list[str]:
    """The dimension columns a cube by DIMS has, in a stable order (`code` expanded)."""
    unknown = [d for d in dims if d not in CUBE_DIMENSIONS]
    if unknown:
        raise ValueError(
            f"unknown dimension(s) {', '.join(unknown)}; one of {', '.join(CUBE_DIMENSIONS)}"
        )
    wanted = set(dims) | (set(CODE_DIMS) if "code" in dims else set())
    return [d for d in CUBE_DIMENSIONS if d in wanted]


# The whole-window cube reusing_cubes counts once per filters and sums the others from: the
# dimensions of rollup_dims_day, so it is read from there (sender would need every message).
WIDE_DIMS = ("code", "carrier", "country", "campaign")

# Cubes already counted in this context (reusing_cubes): (filters, grain, dims) -> frame.
_reused: ContextVar[dict | None] = ContextVar("reused_cubes", default=None)
# The weeks (since, until: Mondays 00:00) a reusing_cubes block counts once, by week.
_weeks: ContextVar[tuple[datetime, datetime] | None] = ContextVar("reused_weeks", default=None)


@contextmanager
def reusing_cubes(weeks: tuple[datetime, datetime] | None = None) -> Iterator[None]:
    """Within the block, a cube asked for twice is counted once, and a whole-window cube by
    any of the columns a cube by WIDE_DIMS has is summed (polars) from that one cube: an
    analysis made of many comparisons (the weekly review) asks for the same periods by one
    dimension after another. With WEEKS (two Mondays 00:00), the whole-window WIDE_DIMS
    cubes of any whole weeks between them are summed from one cube of those weeks by week
    (the review's week, the week before it and its 4-week baseline: one query, not three).
    Nothing outlives the block, so nothing can go stale when the store changes."""
    if weeks is not None and not all(_is_monday(t) for t in weeks):
        raise ValueError(f"weeks run from Monday 00:00 to Monday 00:00, not {weeks}")
    token, weeks_token = _reused.set({}), _weeks.set(weeks)
    try:
        yield
    finally:
        _reused.reset(token)
        _weeks.reset(weeks_token)


def _is_monday(t: datetime | None) -> bool:
    return t is not None and t.weekday() == 0 and t == datetime.combine(t.date(), time())


def _weekly_source(filters: Filters) -> Filters | None:
    """The filters of the by-week cube FILTERS' whole-window cube can be summed from: the
    same filters over reusing_cubes' weeks, when FILTERS' window is whole weeks inside them."""
    weeks = _weeks.get()
    if weeks is None or not (_is_monday(filters.since) and _is_monday(filters.until)):
        return None
    if not weeks[0] <= filters.since < filters.until <= weeks[1]:
        return None
    return filters.with_(since=weeks[0], until=weeks[1])


def _summed(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """FRAME's counts summed by COLUMNS into one whole-window row per combination."""
    summed = frame.group_by(columns or pl.lit(0).alias("_all")).agg(pl.col(c).sum() for c in COUNTS)
    return summed.select(
        pl.lit(None, dtype=pl.Datetime("us")).alias("period_start"), *columns, *COUNTS
    ).sort(["period_start", *columns], nulls_last=True)


def message_cube(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    grain: str | None = "day",
    dims: Sequence[str] = DEFAULT_DIMS,
) -> pl.DataFrame:
    """Message counts per time bucket and per combination of DIMS, under FILTERS.

    grain: 'hour', 'day' or 'week' (UTC buckets on the message's send time, weeks start on
    Monday); None gives one row per combination for the whole window (period_start null).
    dims: any of provider, channel, code, category, outcome, carrier, country, campaign,
    sender; `code` also brings provider, channel, category and outcome.

    Columns: period_start (datetime), the dimension columns (see cube_columns), then
    messages, delivered, failed, pending, unconfirmed, no_report, unknown (int counts; the
    six outcomes add up to messages). Only combinations with messages appear.
    """
    if grain is not None and grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; one of {', '.join(GRAINS)}")
    reused = _reused.get()
    key = (repr(filters), grain, tuple(dims))
    if reused is not None and key in reused:
        return reused[key]
    columns = cube_columns(dims)
    if (
        reused is not None
        and grain is None
        and tuple(dims) != WIDE_DIMS
        and set(dims) <= set(cube_columns(WIDE_DIMS))
    ):
        reused[key] = _summed(message_cube(con, filters, None, WIDE_DIMS), columns)
        return reused[key]
    weekly = _weekly_source(filters) if reused is not None and grain is None else None
    if weekly is not None and tuple(dims) == WIDE_DIMS:
        by_week = message_cube(con, weekly, "week", WIDE_DIMS)
        window = by_week.filter(
            (pl.col("period_start") >= filters.since) & (pl.col("period_start") < filters.until)
        )
        reused[key] = _summed(window, columns)
        return reused[key]
    flags = {f"by_{d}": d in dims for d in CUBE_DIMENSIONS}
    frame = run(con, "message_cube", filters or Filters(), grain=grain, **flags)
    frame = frame.select(
        pl.col("period_start").cast(pl.Datetime("us")),
        *columns,
        *[pl.col(c).cast(pl.Int64) for c in COUNTS],
    )
    frame = frame.sort(["period_start", *columns], nulls_last=True)
    if reused is not None:
        reused[key] = frame
    return frame
