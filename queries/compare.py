"""Period over period: what got worse, where, and is the change more than noise?

Two windows (any two Filters, typically this week and last week) are counted with the same
cube query; polars computes rates, the change in percentage points and a pooled
two-proportion z-test, so a review can sort by "what got worse" without being fooled by
small volumes.

Rates, and what they are out of, are queries/metrics.py's: a code's or a category's rate is
out of the messages of the rest of its row's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb
import polars as pl
from scipy import stats

# A "what changed" list of failure codes keeps only the catalog's failure categories (not
# deliveries, progress, messages without a report or codes no catalog knows).
from deliverability.catalog import FAILURE_CATEGORIES  # noqa: F401
from deliverability.queries.cube import message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import (
    COUNTS,
    RATES,
    exposure_keys,
    higher_is_worse,
    hits,
    ratio,
    summary,
)
from deliverability.queries.report import attach_code_names
from deliverability.queries.zones import to_local, to_utc

COMPARE_DIMENSIONS = (
    "provider",
    "channel",
    "code",
    "category",
    "carrier",
    "country",
    "campaign",
    "sender",
)
# The rates a comparison can test (queries/metrics.py defines them), the CLI's default first.
METRICS = ("failure_rate", "delivery_rate", "pending_rate")
# Two-sided significance level of the z-test. 5% is the usual review threshold; the test
# already accounts for volume, and min_messages hides rows too small to matter.
ALPHA = 0.05
# Lazy comparisons run on DuckDB's aggregates, a few thousand rows at most: polars' default
# engine picks its streaming engine, whose start-up costs more than such frames take.
ENGINE = "in-memory"
PERIOD_COLUMNS = (
    "messages_current",
    "messages_previous",
    "failed_current",
    "failed_previous",
    "delivered_current",
    "delivered_previous",
    "rate_current",
    "rate_previous",
    "delta_pp",
    "z",
    "p_value",
    "significant",
    "direction",
)


def previous_period(filters: Filters) -> Filters:
    """The same-length window right before FILTERS' [since, until), other filters kept."""
    if filters.since is None or filters.until is None:
        raise ValueError("a previous period needs both since and until")
    length = filters.until - filters.since
    return filters.with_(since=filters.since - length, until=filters.since)


def comparison_windows(
    filters: Filters, previous_has_messages: bool, data_until: datetime | None
) -> tuple[Filters, Filters]:
    """(current, previous) for "what changed": the selection and the same-length window just
    before it when that has messages; else the last 7 days with data (up to the selection's
    end) and the 28 days before them, other filters kept."""
    previous = previous_period(filters)
    if previous_has_messages or data_until is None:
        return filters, previous
    last = data_until
    if filters.until is not None:  # exclusive: its last instant is just before it
        last = min(filters.until - timedelta(microseconds=1), data_until)
    end = to_local(last, filters.zone)
    # Whole days of the display zone, as every bucket is.
    end = datetime(end.year, end.month, end.day) + timedelta(days=1)

    def utc(days_before_end: int) -> datetime | None:
        return to_utc(end - timedelta(days=days_before_end), filters.zone)

    week = filters.with_(since=utc(7), until=utc(0))
    return week, filters.with_(since=utc(35), until=utc(7))


def _expand(by: Sequence[str]) -> list[str]:
    unknown = [d for d in by if d not in COMPARE_DIMENSIONS]
    if unknown:
        raise ValueError(
            f"unknown dimension(s) {', '.join(unknown)}; one of {', '.join(COMPARE_DIMENSIONS)}"
        )
    wanted = set(by) | ({"provider", "channel", "category"} if "code" in by else set())
    return [d for d in COMPARE_DIMENSIONS if d in wanted]


def _period_counts(
    cube: pl.LazyFrame, keys: list[str], metric: str
) -> tuple[pl.LazyFrame, pl.LazyFrame, list[str]]:
    """(numerators by KEYS, exposure by the non-outcome keys, those exposure keys) of one
    period's CUBE (any grain: its buckets are summed).

    Both carry a constant `_all` key so that an empty grouping still joins.
    """
    cube = cube.with_columns(pl.lit(0).alias("_all"))
    keys = [*keys, "_all"]
    out_of = exposure_keys(keys)
    numerators = cube.group_by(keys).agg(
        pl.col("failed").sum(),
        pl.col("delivered").sum(),
        hits(metric).sum().alias("hits"),
    )
    exposure = cube.group_by(out_of).agg(pl.col("messages").sum())
    return numerators, exposure, out_of


def _attach(
    keys_frame: pl.LazyFrame,
    numerators: pl.LazyFrame,
    exposure: pl.LazyFrame,
    keys: list[str],
    exposure_keys: list[str],
    suffix: str,
) -> pl.LazyFrame:
    joined = keys_frame.join(numerators, on=keys, how="left", nulls_equal=True).join(
        exposure, on=exposure_keys, how="left", nulls_equal=True
    )
    return joined.select(
        *keys,
        *[
            pl.col(c).fill_null(0).cast(pl.Int64).alias(f"{c}_{suffix}")
            for c in ("messages", "failed", "delivered", "hits")
        ],
    )


def two_proportion_test(
    x1: pl.Expr, n1: pl.Expr, x2: pl.Expr, n2: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """Pooled two-proportion z statistic of x1/n1 vs x2/n2 (null when a side has no trials)."""
    pooled = (x1 + x2) / (n1 + n2)
    se = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).sqrt()
    testable = (n1 > 0) & (n2 > 0)
    z = pl.when(~testable).then(None).when(se > 0).then((x1 / n1 - x2 / n2) / se).otherwise(0.0)
    p_value = (
        z.abs()
        .map_batches(
            lambda s: pl.Series(2 * stats.norm.sf(s.to_numpy()), dtype=pl.Float64),
            return_dtype=pl.Float64,
        )
        .fill_nan(None)
    )  # untestable (null z) stays null, not NaN
    return z, p_value


def compare_periods(
    con: duckdb.DuckDBPyConnection,
    by: Sequence[str],
    current: Filters,
    previous: Filters,
    metric: str = "failure_rate",
    min_messages: int = 0,
    *,
    alpha: float = ALPHA,
) -> pl.DataFrame:
    """Each value of BY in two periods, with the change of METRIC and its significance.

    by: any of provider, channel, code, category, carrier, country, campaign, sender (empty:
    one row for everything). `code` brings provider, channel, category and name.
    metric: failure_rate (failed / messages), delivery_rate (delivered / messages) or
    pending_rate ((pending + unconfirmed + no_report + unknown) / messages).
    min_messages: drop rows where neither period has that many messages.

    Columns: the dimension columns, then messages_current, messages_previous (int: the rate's
    denominator, see the module docstring), failed_current, failed_previous,
    delivered_current, delivered_previous (int), rate_current, rate_previous (float, METRIC;
    null without messages), delta_pp (float, (rate_current - rate_previous) * 100),
    z (float, pooled two-proportion z, positive when the rate rose; null when a period has
    no messages), p_value (float, two-sided; null likewise), significant (bool,
    p_value < alpha), direction ('worse' | 'better' when significant, else 'same').
    Sorted worst first: by z in the worsening direction (most significant deterioration
    first, most significant improvement last), then messages_current.
    """
    dims = _expand(by)
    cubes = [message_cube(con, f, grain=None, dims=dims) for f in (current, previous)]
    frame = compare_counts(*cubes, by, metric, min_messages, alpha=alpha).collect(engine=ENGINE)
    return with_code_names(con, frame)


def compare_counts(
    current: pl.DataFrame | pl.LazyFrame,
    previous: pl.DataFrame | pl.LazyFrame,
    by: Sequence[str],
    metric: str = "failure_rate",
    min_messages: int = 0,
    *,
    alpha: float = ALPHA,
) -> pl.LazyFrame:
    """compare_periods of two periods already counted: CURRENT and PREVIOUS are message
    cubes (queries/cube.py) by at least BY's columns, of any grain (their buckets are
    summed). The same rows, order and columns, except that a comparison by code has no
    `name` yet (with_code_names adds it). Lazy, so that many comparisons can be collected
    together (pl.collect_all, engine=ENGINE)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    dims = _expand(by)
    keys = [*dims, "_all"]
    cur_num, cur_exp, out_of = _period_counts(current.lazy(), dims, metric)
    prev_num, prev_exp, _ = _period_counts(previous.lazy(), dims, metric)
    all_keys = pl.concat([cur_num.select(keys), prev_num.select(keys)]).unique()
    cur = _attach(all_keys, cur_num, cur_exp, keys, out_of, "current")
    prev = _attach(all_keys, prev_num, prev_exp, keys, out_of, "previous")
    frame = cur.join(prev, on=keys, how="left", nulls_equal=True)
    n1, n2 = pl.col("messages_current"), pl.col("messages_previous")
    x1, x2 = pl.col("hits_current"), pl.col("hits_previous")
    z, p_value = two_proportion_test(x1, n1, x2, n2)
    sign = 1.0 if higher_is_worse(metric) else -1.0
    significant = pl.col("p_value").fill_null(1.0) < alpha
    return (
        frame.with_columns(
            ratio(x1, n1).alias("rate_current"),
            ratio(x2, n2).alias("rate_previous"),
            z.alias("z"),
        )
        .with_columns(
            ((pl.col("rate_current") - pl.col("rate_previous")) * 100).alias("delta_pp"),
            p_value.alias("p_value"),
        )
        .with_columns(
            significant.alias("significant"),
            pl.when(significant & (pl.col("z") * sign > 0))
            .then(pl.lit("worse"))
            .when(significant & (pl.col("z") * sign < 0))
            .then(pl.lit("better"))
            .otherwise(pl.lit("same"))
            .alias("direction"),
            (pl.col("z") * sign).alias("_worse_z"),
        )
        .filter(pl.max_horizontal(n1, n2) >= min_messages)
        .sort(
            ["_worse_z", "messages_current", *dims],
            descending=[True, True] + [False] * len(dims),
            nulls_last=True,
        )
        .select(*dims, *PERIOD_COLUMNS)
    )


def with_code_names(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.DataFrame:
    """A comparison by code (compare_counts, with any further columns) with the catalog's
    `name` after `category`, in the same order; other comparisons unchanged."""
    if "code" not in frame.columns:
        return frame
    named = attach_code_names(con, frame.with_row_index("_order")).sort("_order")
    dims = frame.columns[: frame.columns.index("messages_current")]
    at = dims.index("category") + 1
    return named.select(*dims[:at], "name", *frame.columns[at:])


def summarise(cube: pl.DataFrame) -> dict:
    """The counts of a message cube (any grain and dimensions) summed, and their rates:
    messages, delivered, failed, pending, unconfirmed, no_report, unknown, delivery_rate,
    failure_rate, pending_rate (see headline)."""
    sums = cube.select(pl.col(COUNTS).sum()).row(0, named=True)
    counts = {c: int(sums[c] or 0) for c in COUNTS}
    # A headline reads an empty period as 0%, not as a missing number.
    return counts | {name: value or 0.0 for name, value in summary(counts).items()}


def change(current: dict, previous: dict) -> dict:
    """How two summaries (summarise) differ: messages (difference), messages_pct (relative
    change in %, None when PREVIOUS has no messages), delivery_rate, failure_rate,
    pending_rate (change in percentage points), failure_rate_p_value (two-sided pooled
    z-test, None when a side has no messages)."""
    delta: dict[str, object] = {
        "messages": current["messages"] - previous["messages"],
        "messages_pct": (
            (current["messages"] - previous["messages"]) / previous["messages"] * 100
            if previous["messages"]
            else None
        ),
    }
    for rate in RATES:
        delta[rate] = (current[rate] - previous[rate]) * 100
    frame = pl.DataFrame(
        {
            "x1": [current["failed"]],
            "n1": [current["messages"]],
            "x2": [previous["failed"]],
            "n2": [previous["messages"]],
        }
    )
    _, p = two_proportion_test(pl.col("x1"), pl.col("n1"), pl.col("x2"), pl.col("n2"))
    delta["failure_rate_p_value"] = frame.select(p.alias("p"))["p"][0]
    return delta


def headline(
    con: duckdb.DuckDBPyConnection, current: Filters, previous: Filters
) -> dict[str, object]:
    """The headline numbers of two periods and how they changed.

    Keys: "current" and "previous" (dicts of messages, delivered, failed, pending,
    unconfirmed, no_report, unknown, delivery_rate, failure_rate, pending_rate, where
    pending_rate = (pending + unconfirmed + no_report + unknown) / messages and rates are 0
    without messages), "delta" (messages: difference; messages_pct: relative change in %,
    None when the previous period is empty; delivery_rate, failure_rate, pending_rate:
    change in percentage points; failure_rate_p_value: two-sided pooled z-test, None when a
    period is empty). The same numbers flat as messages_current, messages_previous,
    messages_delta, delivery_rate_current, ..., failure_rate_delta_pp, pending_rate_delta_pp.
    Also since/until of both periods (datetime or None).
    """
    cur, prev = (summarise(message_cube(con, f, grain=None, dims=())) for f in (current, previous))
    delta = change(cur, prev)
    flat: dict[str, object] = {}
    for key in ("messages", *RATES):
        flat[f"{key}_current"] = cur[key]
        flat[f"{key}_previous"] = prev[key]
    flat["messages_delta"] = delta["messages"]
    for rate in RATES:
        flat[f"{rate}_delta_pp"] = delta[rate]
    window: dict[str, datetime | None] = {
        "current_since": current.since,
        "current_until": current.until,
        "previous_since": previous.since,
        "previous_until": previous.until,
    }
    return {"current": cur, "previous": prev, "delta": delta, **flat, **window}
