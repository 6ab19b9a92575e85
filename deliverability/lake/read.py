"""Reading a lake for the questions (report, spikes, review, status): its tables as the
store names them, without the partition column, for DuckDB (views over the Parquet files) or
for Spark (DataFrames for queries/spark_engine.py)."""

from __future__ import annotations

import duckdb

from deliverability.lake.engines import (
    PARTITION,
    PARTITIONED,
    WHOLE,
    _is_local,
    _local,
    arrow_frame,
    shape,
)
from deliverability.lake.urls import refuse_credentials

# What the questions read; the alert ledger, mappings and caches exist only in a store.
TABLES = (*PARTITIONED, *WHOLE)
# Tables a few thousand rows a day at most: the lake's small tables, which DuckDB reads even
# when message-level questions go to Spark.
SMALL = frozenset(TABLES) - {"sends", "events", "messages"}


def check_lake(path: str) -> None:
    """ValueError (one line) when PATH is a local folder that holds no lake, or a URL with
    credentials in it (refused as lake build's INPUT is, the secret not shown)."""
    if "://" in path:
        refuse_credentials(path)
    if _is_local(path) and not (_local(path) / "messages").is_dir():
        raise ValueError(f"{path}: no lake there (build one with `deliverability lake build`)")


def duckdb_over_lake(path: str, tables: frozenset[str] | tuple = TABLES):
    """An in-memory DuckDB connection whose views are the lake's TABLES (the rest of the
    store's tables empty), in UTC, read-only in effect: nothing here writes the lake."""
    from deliverability.connection import memory_limit

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    empty = shape()
    for (name,) in empty.execute("SELECT table_name FROM duckdb_tables()").fetchall():
        cols = ", ".join(f'"{c}"' for c, *_ in empty.execute(f"DESCRIBE {name}").fetchall())
        folder = _local(f"{path.rstrip('/')}/{name}")
        files = f"{folder}/*/*.parquet" if name in PARTITIONED else f"{folder}/*.parquet"
        if name in tables and list(folder.glob(files.removeprefix(f"{folder}/"))):
            hive = ", hive_partitioning = true" if name in PARTITIONED else ""
            source = f"read_parquet('{_quoted(files)}'{hive}, union_by_name = true)"
        else:
            con.register(f"empty_{name}", empty.sql(f"SELECT * FROM {name}").to_arrow_table())  # noqa: S608
            source = f"empty_{name}"
        con.execute(f"CREATE VIEW {name} AS SELECT {cols} FROM {source}")  # noqa: S608
    empty.close()
    return con


def spark_tables(session, path: str) -> dict:
    """The lake's tables as Spark DataFrames (lazy: nothing is read until a query runs)."""
    frames = {}
    empty = shape()
    for name in TABLES:
        table = f"{path.rstrip('/')}/{name}"
        try:
            frame = session.read.option("basePath", table).parquet(table)
            # Spark Connect reads lazily: a missing path shows only once the frame is analysed.
            frame = frame.drop(PARTITION) if PARTITION in frame.columns else frame
        except Exception as exc:  # pyspark's AnalysisException, also through Spark Connect
            if "PATH_NOT_FOUND" not in str(exc) and "UNABLE_TO_INFER_SCHEMA" not in str(exc):
                raise
            # A table the lake has no rows of yet (no rejected row ever: no quarantine).
            rows = empty.sql(f"SELECT * FROM {name}").to_arrow_table()  # noqa: S608
            frame = arrow_frame(session, rows)
        frames[name] = frame
    empty.close()
    return frames


def _quoted(path: str) -> str:
    """A path inside read_parquet's quotes (it takes no bound path)."""
    return path.replace("'", "''")
