"""The engine seam: every question runs through one interface, a .sql file's name and its
parameters in, a polars DataFrame out, on the embedded DuckDB store (the default) or on
Spark (queries/spark_engine.py, the `[spark]` extra).

Only counts and lists come from an engine; rates and statistical tests are computed in
polars on what it returns (queries/metrics.py and the modules that use it), so they are the
same numbers on both. Every query function takes either a DuckDB connection or an Engine
where it takes `con`: queries/runner.py hands the question to the engine.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import duckdb
import polars as pl

ENGINES = ("duckdb", "spark")


@runtime_checkable
class Engine(Protocol):
    """Runs queries/sql/NAME.sql with PARAMS bound and returns its rows."""

    name: str

    def run(self, name: str, params: dict) -> pl.DataFrame: ...

    def close(self) -> None: ...


class DuckDBEngine:
    """The embedded store (or any DuckDB connection holding its tables)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def run(self, name: str, params: dict) -> pl.DataFrame:
        from deliverability.queries.runner import run

        return run(self.con, name, **params)

    def close(self) -> None:
        self.con.close()


Connection = duckdb.DuckDBPyConnection | Engine
