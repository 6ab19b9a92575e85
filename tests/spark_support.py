"""What the Spark tests share: one local SparkSession for the whole run (local[2], two
shuffle partitions, small data), a store's tables as Parquet, and rows compared as values.

CI installs pyspark and Java (dev.py); elsewhere the tests skip without them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

# Tables every query may read; the alert ledger and caches stay in the store.
LAKE_TABLES = (
    "sends", "events", "messages", "codes", "carriers", "ingests", "quarantine", "notes",
    "rollup_code_hour", "rollup_dims_day", "rollup_latency_day", "event_code_days",
    "uncatalogued_events",
)  # fmt: skip


def _need_spark() -> None:
    if os.environ.get("CI"):
        import pyspark  # noqa: F401  (CI installs it: missing is a failure, not a skip)

        assert shutil.which("java"), "CI runs the Spark tests: dev.py installs Java"
    else:
        pytest.importorskip("pyspark")
        if not shutil.which("java"):
            pytest.skip("no java: python3 dev.py test installs openjdk-17-jre-headless")


def need_connect() -> None:
    """Spark, and the Spark Connect client's packages, which the [spark] extra installs."""
    _need_spark()
    for module in ("grpc", "grpc_status", "google.rpc", "zstandard"):
        if os.environ.get("CI"):
            __import__(module)
        else:
            pytest.importorskip(module)


@pytest.fixture(scope="session")
def spark():
    _need_spark()
    from deliverability.queries.spark_engine import spark_session

    session = spark_session(**{"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


def export_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, str]:
    """The store's tables as one Parquet file each in FOLDER: table -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table in LAKE_TABLES:
        path = folder / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{path}' (FORMAT parquet)")
        paths[table] = str(path)
    return paths


def as_values(frame: pl.DataFrame) -> pl.DataFrame:
    """FRAME with numbers as floats (DuckDB sums are 128-bit, Spark's 64-bit; rounded where
    the last bits of a float may differ) and its rows in one order."""
    frame = frame.with_columns(
        pl.col(c).cast(pl.Float64).round(9) for c, t in frame.schema.items() if t.is_numeric()
    )
    return frame.sort(frame.columns, nulls_last=True) if frame.columns else frame


def assert_same_rows(duck: pl.DataFrame, spark: pl.DataFrame) -> None:
    assert duck.columns == spark.columns
    left, right = as_values(duck), as_values(spark)
    assert left.to_dicts() == right.to_dicts()


def funnels(plan: str) -> list[str]:
    """The steps of a Spark physical PLAN that bring every row to one partition: an
    exchange to a single partition whose input is not already aggregated per partition (a
    global min() sends one partial row per partition: that is not a funnel)."""
    lines = [line for line in plan.splitlines() if line.strip()]
    found = []
    for i, line in enumerate(lines):
        if "Exchange SinglePartition" not in line:
            continue
        child = lines[i + 1] if i + 1 < len(lines) else ""
        if "functions=[partial_" not in child:
            found.append(f"{line.strip()}\n  {child.strip()}")
    return found
