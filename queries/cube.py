"""The message cube: counts by time bucket and any dimensions, the base of every analysis.

SQL (queries/sql/message_cube.sql) only counts; comparisons, breakdowns and spike tests
turn these counts into rates with polars.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import duckdb
import polars as pl

from deliverability.queries.filters import Filters
from deliverability.queries.metrics import COUNTS
from deliverability.queries.runner import run

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


# Cubes already counted in this context (reusing_cubes): (filters, grain, dims) -> frame.
_reused: ContextVar[dict | None] = ContextVar("reused_cubes", default=None)


@contextmanager
def reusing_cubes() -> Iterator[None]:
    """Within the block, a cube asked for twice is counted once, and a cube whose columns
    are all in a cube already counted with the same filters and grain is summed (polars)
    from that one: an analysis made of several views of one window (the weekly review's
    spike cells by code and its daily outcomes) reads the store once per window. Nothing
    outlives the block, so nothing can go stale when the store changes."""
    token = _reused.set({})
    try:
        yield
    finally:
        _reused.reset(token)


def _covering(reused: dict, filters: Filters, grain: str | None, columns: list[str]):
    """A cube already counted with FILTERS and GRAIN that has every one of COLUMNS."""
    for (counted_filters, counted_grain, counted_dims), frame in reused.items():
        if (
            counted_filters == repr(filters)
            and counted_grain == grain
            and set(columns) <= set(cube_columns(counted_dims))
        ):
            return frame
    return None


def _summed(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """FRAME's counts summed by period_start and COLUMNS."""
    summed = frame.group_by("period_start", *columns).agg(pl.col(c).sum() for c in COUNTS)
    return summed.select("period_start", *columns, *COUNTS).sort(
        ["period_start", *columns], nulls_last=True
    )


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
    columns = cube_columns(dims)
    if reused is not None:
        if key in reused:
            return reused[key]
        source = _covering(reused, filters, grain, columns)
        if source is not None:
            reused[key] = _summed(source, columns)
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
