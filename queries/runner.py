"""Run the .sql files in queries/sql with bound parameters and hand back polars frames."""

from __future__ import annotations

import re

import duckdb
import polars as pl

from deliverability.queries.filters import Filters
from deliverability.sql_files import QUERIES, sql_text


def sql(name: str) -> str:
    """The text of queries/sql/NAME.sql."""
    return sql_text(f"{name}.sql", QUERIES)


def _used_params(text: str, params: dict) -> dict:
    """DuckDB refuses unused named parameters; bind only the ones the file mentions."""
    named = set(re.findall(r"\$([a-z_][a-z0-9_]*)", text))
    return {k: v for k, v in params.items() if k in named}


# Macros (TEMP: per connection) the query files may call: file -> the macros it defines
# (the filtered messages, a table macro; the outcome sums; which rollup answers; a UTC
# time in the display zone). Defined
# before a file that calls one runs.
MACROS = {
    "filtered_messages": ("filtered_messages",),
    "outcome_counts": ("outcome_counts",),
    "rollup_choice": ("hourly_rollup_answers", "daily_rollup_answers", "latency_rollup_answers"),
    "local_time": ("local_time",),
    "latency_bucket": ("latency_bucket", "latency_ms"),
}
# Macro files that are the store's (deliverability/sql): what its rollups count by.
STORE_MACROS = ("latency_bucket",)


def macro_text(file: str) -> str:
    """The text of the macro file FILE (a key of MACROS)."""
    return sql_text(f"{file}.sql") if file in STORE_MACROS else sql(file)


def _calls(text: str) -> list[str]:
    """The macro files whose macros TEXT calls."""
    return [f for f, macros in MACROS.items() if any(f"{m}(" in text for m in macros)]


def prepare(con: duckdb.DuckDBPyConnection, text: str | None = None) -> None:
    """Define the macros TEXT calls, and the ones those call (every macro when TEXT
    is None), the called before their callers."""
    needed = list(MACROS) if text is None else _calls(text)
    for file in needed:  # grows while it is walked: the macros a needed macro calls
        body = "\n".join(line.split("--", 1)[0] for line in macro_text(file).splitlines())
        needed += [f for f in _calls(body.split(" AS ", 1)[-1]) if f not in needed]
    for file in reversed(needed):
        con.execute(macro_text(file))


def run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    filters: Filters | None = None,
    **params,
) -> pl.DataFrame:
    """Execute queries/sql/NAME.sql with the filters' parameters and PARAMS bound. CON is
    a DuckDB connection, or an Engine (queries/engine.py: Spark) that runs the same file."""
    bound = {**(filters.params() if filters else {}), **params}
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.run(name, bound)
    text = sql(name)
    prepare(con, text)
    # A relation, not execute(): DuckDB 2.0 hands polars the result without an extra copy.
    # It refuses to start while an earlier execute() result is half-read (a fetchone()
    # elsewhere on this connection), so finish that one first.
    con.complete()
    return con.sql(text, params=_used_params(text, bound)).pl()
