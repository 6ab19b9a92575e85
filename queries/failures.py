"""Where do failures come from? Category -> code -> carrier / country / campaign.

Each level carries its failure rate and its share of ALL failures under the filters, so a
drill-down never loses sight of how much of the problem a row is. One cube query per call;
polars does the rest.

Rates are queries/metrics.py's: a category's or a code's failure rate is out of all messages
that could have ended on it (every message in the filter for a category; every message of
the code's provider and channel for a code); a carrier's, country's or campaign's rate is out
of its own messages.
"""

from __future__ import annotations

import duckdb
import polars as pl

from deliverability.queries.cube import message_cube
from deliverability.queries.filters import Filters
from deliverability.queries.metrics import exposure_keys, rate, ratio
from deliverability.queries.report import attach_code_names

LEVELS = ("category", "code", "carrier", "country", "campaign", "sender", "provider", "channel")
# Parent keys narrow a drill-down; those that are global filters narrow in SQL, the others
# (what happened to the message) in polars so that the rate's denominator stays whole.
PARENT_KEYS = ("provider", "channel", "carrier", "country", "campaign", "category", "code")
OUTCOME_KEYS = ("code", "category")  # parent keys that say what happened to a message
NONE_LABEL = "(none)"


def level_columns(level: str) -> list[str]:
    """The columns that identify a row of LEVEL (`code` is per provider and channel)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    return ["provider", "channel", "code", "category"] if level == "code" else [level]


def _narrow(filters: Filters, parent: dict | None) -> tuple[Filters | None, dict]:
    """FILTERS narrowed by PARENT's global-filter keys (None: nothing can match), and the
    parent's outcome keys (code, category) left for polars."""
    parent = {k: v for k, v in (parent or {}).items() if v is not None}
    unknown = [k for k in parent if k not in PARENT_KEYS]
    if unknown:
        raise ValueError(f"unknown parent key(s) {', '.join(unknown)}")
    narrowed = filters
    for key, value in parent.items():
        if key in OUTCOME_KEYS:
            continue
        current = getattr(filters, key)
        if current and str(value) not in current:
            return None, {}
        narrowed = narrowed.with_(**{key: (str(value),)})
    outcome = {k: str(v) for k, v in parent.items() if k in OUTCOME_KEYS}
    if "code" in outcome and filters.code:
        if outcome["code"].lower() not in {c.lower() for c in filters.code}:
            return None, {}
    if "category" in outcome and filters.category and outcome["category"] not in filters.category:
        return None, {}
    return narrowed, outcome


def _empty_breakdown(columns: list[str]) -> pl.DataFrame:
    schema = {c: pl.String for c in columns}
    schema |= {"failed": pl.Int64, "messages": pl.Int64}
    schema |= {"failure_rate": pl.Float64, "share_of_failures": pl.Float64}
    return pl.DataFrame(schema=schema)


def _total_failed(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    cube = message_cube(con, filters, grain=None, dims=())
    return int(cube["failed"].sum()) if cube.height else 0


def failure_breakdown(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    level: str,
    parent: dict | None = None,
) -> pl.DataFrame:
    """Failed messages by LEVEL, within PARENT, with rates and shares of all failures.

    level: category, code, carrier, country or campaign (also sender, provider, channel).
    parent: the rows chosen above, e.g. {"category": "carrier_filtered"} or {"provider":
    "azure_acs", "channel": "sms", "code": "4000"}; keys among provider, channel, carrier,
    country, campaign, category, code. None: no narrowing.

    Columns: the level columns (category: category; code: provider, channel, code,
    category, name, description, advice, advice_from, link; otherwise the level itself), failed (int, failed
    messages of the row within parent), messages (int, the rate's denominator: see the
    module docstring; within parent's provider/channel/carrier/country/campaign),
    failure_rate (float, failed / messages), share_of_failures (float,
    failed / all failed messages under FILTERS without PARENT; the rows of an unnarrowed
    level sum to 1). Only rows with failures; sorted by failed, descending.
    """
    columns = level_columns(level)
    out_columns = (
        [*columns, "name", "description", "advice", "advice_from", "link"]
        if level == "code"
        else columns
    )
    narrowed, outcome = _narrow(filters, parent)
    if narrowed is None:
        return _empty_breakdown(out_columns)
    dims = ["code"] + ([level] if level not in OUTCOME_KEYS else [])
    cube = message_cube(con, narrowed, grain=None, dims=dims)
    total_failed = _total_failed(con, filters) if parent else int(cube["failed"].sum() or 0)
    failures = cube.filter(pl.col("outcome") == "failed")
    if "category" in outcome:
        failures = failures.filter(pl.col("category") == outcome["category"])
    if "code" in outcome:
        failures = failures.filter(pl.col("code").str.to_lowercase() == outcome["code"].lower())
    if failures.is_empty():
        return _empty_breakdown(out_columns)
    failed = failures.group_by(columns).agg(pl.col("messages").sum().alias("failed"))
    exposure_columns = exposure_keys(columns)
    if exposure_columns:
        exposure = cube.group_by(exposure_columns).agg(pl.col("messages").sum())
        frame = failed.join(exposure, on=exposure_columns, how="left", nulls_equal=True)
    else:
        frame = failed.with_columns(pl.lit(int(cube["messages"].sum())).alias("messages"))
    frame = frame.with_columns(
        pl.col("failed").cast(pl.Int64),
        pl.col("messages").fill_null(0).cast(pl.Int64),
    ).with_columns(
        rate("failure_rate"),
        ratio("failed", pl.lit(total_failed)).alias("share_of_failures"),
    )
    if level == "code":
        frame = attach_code_names(
            con, frame, columns=("name", "description", "advice", "advice_from", "link")
        )
    return frame.sort(
        ["failed", *columns], descending=[True] + [False] * len(columns), nulls_last=True
    ).select(*out_columns, "failed", "messages", "failure_rate", "share_of_failures")


def _label(dim: str) -> pl.Expr:
    """One text label per row of DIM; a code reads 'provider/channel code name'."""
    if dim == "code":
        base = pl.concat_str(
            [pl.col("provider"), pl.lit("/"), pl.col("channel"), pl.lit(" "), pl.col("code")],
            ignore_nulls=True,
        )
        return (
            pl.when(pl.col("name").is_not_null())
            .then(pl.concat_str([base, pl.lit(" "), pl.col("name")]))
            .otherwise(base)
        )
    return pl.col(dim).fill_null(NONE_LABEL).cast(pl.String)


def failure_heatmap(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    rows: str = "code",
    columns: str = "carrier",
    top: int = 15,
) -> pl.DataFrame:
    """Failures by two dimensions, for a heatmap, limited to the TOP rows and columns.

    rows, columns: any level of failure_breakdown (category, code, carrier, country,
    campaign, sender, provider, channel), different from each other.

    Columns: row (text label; a code reads 'provider/channel code name'; a missing value
    reads '(none)'), column (text label), failed (int), messages (int, the rate's
    denominator as in failure_breakdown: all messages of the row and column values,
    code/category aside), failure_rate (float, failed / messages; null without messages),
    then the raw values behind each label, for drilling down: row_<key> for each key of the
    row level (a code: row_provider, row_channel, row_code) and column_<key> likewise.
    Every pair of the top rows and top columns (by failures) is present, 0 failed where
    there were none. Sorted by the row's then the column's total failures, descending.
    """
    if rows == columns:
        raise ValueError("rows and columns must be different dimensions")
    row_keys, col_keys = level_columns(rows), level_columns(columns)
    keys = list(dict.fromkeys([*row_keys, *col_keys]))
    dims = ["code"] + [d for d in (rows, columns) if d not in OUTCOME_KEYS]
    cube = message_cube(con, filters, grain=None, dims=dims)
    schema = {
        "row": pl.String,
        "column": pl.String,
        "failed": pl.Int64,
        "messages": pl.Int64,
        "failure_rate": pl.Float64,
    }
    failures = cube.filter(pl.col("outcome") == "failed")
    if failures.is_empty():
        return pl.DataFrame(schema=schema)
    if "code" in keys:
        cube = attach_code_names(con, cube)
    cube = cube.with_columns(_label(rows).alias("row"), _label(columns).alias("column"))
    failures = cube.filter(pl.col("outcome") == "failed")
    row_rank = failures.group_by("row").agg(pl.col("messages").sum().alias("row_failed"))
    col_rank = failures.group_by("column").agg(pl.col("messages").sum().alias("col_failed"))
    row_rank = row_rank.sort(["row_failed", "row"], descending=[True, False]).head(top)
    col_rank = col_rank.sort(["col_failed", "column"], descending=[True, False]).head(top)
    failed = failures.group_by("row", "column").agg(pl.col("messages").sum().alias("failed"))
    # The exposure of a cell: messages of its row's and column's non-outcome keys (a code
    # row brings its provider and channel), whether or not the cell had a failure.
    row_exp, col_exp = exposure_keys(row_keys), exposure_keys(col_keys)
    cell_keys = list(dict.fromkeys([*row_exp, *col_exp]))
    grid = row_rank.join(col_rank, how="cross")
    row_map = cube.select("row", *row_exp).unique()
    col_map = cube.select("column", *col_exp).unique().with_columns(pl.lit(True).alias("_ok"))
    common = [k for k in col_exp if k in row_exp]
    grid = grid.join(row_map, on="row", how="left", nulls_equal=True)
    grid = grid.join(col_map, on=["column", *common], how="left", nulls_equal=True)
    if cell_keys:
        exposure = cube.group_by(cell_keys).agg(pl.col("messages").sum())
        grid = grid.join(exposure, on=cell_keys, how="left", nulls_equal=True)
    else:
        grid = grid.with_columns(pl.lit(int(cube["messages"].sum())).alias("messages"))
    # A row and a column that cannot meet (a code of one provider, another provider's
    # column) have no messages together.
    grid = grid.with_columns(
        pl.when(pl.col("_ok")).then(pl.col("messages")).otherwise(0).alias("messages")
    )
    grid = grid.group_by("row", "column", "row_failed", "col_failed").agg(pl.col("messages").sum())
    grid = grid.join(failed, on=["row", "column"], how="left").with_columns(
        pl.col("failed").fill_null(0).cast(pl.Int64),
        pl.col("messages").fill_null(0).cast(pl.Int64),
    )
    row_values = cube.select(
        "row", *[pl.col(k).cast(pl.String).alias(f"row_{k}") for k in row_keys]
    ).unique(subset="row", keep="first")
    column_values = cube.select(
        "column", *[pl.col(k).cast(pl.String).alias(f"column_{k}") for k in col_keys]
    ).unique(subset="column", keep="first")
    return (
        grid.with_columns(rate("failure_rate"))
        .sort(["row_failed", "row", "col_failed", "column"], descending=[True, False, True, False])
        .select(list(schema))
        .join(row_values, on="row", how="left", maintain_order="left")
        .join(column_values, on="column", how="left", maintain_order="left")
    )
