"""Where a lake build's SQL runs: DuckDB (one machine) or Spark (local mode, a cluster, or
Spark Connect). Both take the store's own statements in DuckDB's dialect (Spark through
deliverability/portable_sql.py), hold their results as named tables, and write a table's
day partitions: appended to, or replaced day by day.

The lake's tables are Hive-partitioned Parquet folders, `TABLE/utc_date=YYYY-MM-DD/*.parquet`
(utc_date: the UTC day of the row's own time, or of the build for the ledger and quarantine),
and single Parquet files for the catalog's tables. Plain Parquet: DuckDB, Spark, Trino and
others read it without extra jars.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from sqlglot import exp

from deliverability.portable_sql import WRITE, for_spark, inline_macros, parse, parse_macros
from deliverability.sql_files import sql_text

PARTITION = "utc_date"
# Day-partitioned tables, and the time whose UTC day partitions each.
PARTITIONED = {
    "sends": "sent_at",
    "events": "event_at",
    "messages": "message_at",
    "rollup_code_hour": "hour",
    "rollup_dims_day": "day",
    "rollup_latency_day": "day",
    "event_code_days": "day",
    "uncatalogued_events": "event_at",
    "quarantine": None,  # the build's day
    "ingests": "started_at",
}
# Small tables, one Parquet file each, rewritten by every build.
WHOLE = ("codes", "carriers", "notes", "meta")


def shape() -> duckdb.DuckDBPyConnection:
    """An empty store (schema.sql in memory): every table's columns and types."""
    con = duckdb.connect()
    con.execute(sql_text("schema.sql"))
    return con


def columns(shape_con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in shape_con.execute(f"DESCRIBE {table}").fetchall()]


def typed(shape_con: duckdb.DuckDBPyConnection, table: str, dialect: str) -> list[str]:
    """TABLE's columns cast to the store's types, in DIALECT: a derived count is BIGINT
    where the store's column is INTEGER, and the lake's files keep the store's schema."""
    described = shape_con.execute(f"DESCRIBE {table}").fetchall()
    return [
        exp.cast(exp.column(name, quoted=True), exp.DataType.build(kind, dialect="duckdb"))
        .as_(name, quoted=True)
        .sql(dialect)
        for name, kind, *_ in described
    ]


def arrow_frame(session, table):
    """TABLE (a pyarrow Table) as a Spark DataFrame, its schema given: Spark Connect infers
    none from a table without rows."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return session.createDataFrame(table, schema=from_arrow_schema(table.schema))


def table_path(lake: str, table: str) -> str:
    return f"{lake.rstrip('/')}/{table}"


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _local(path: str) -> Path:
    return Path(path.removeprefix("file://"))


class DuckDBLake:
    """The build on DuckDB, over a lake on a local path."""

    name = "duckdb"

    def __init__(self, lake: str) -> None:
        from deliverability.connection import memory_limit

        if not _is_local(lake):
            raise ValueError(
                f"--engine duckdb builds a lake on a local path; {lake} needs --engine spark"
            )
        self.lake = lake
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{memory_limit()}'")
        self.shape = shape()

    def table(self, table: str, keep_partition: bool = False, name: str | None = None) -> None:
        """View NAME (default TABLE) over the lake's TABLE (empty while the lake has none)."""
        view, name = name or table, table
        folder = _local(table_path(self.lake, name))
        cols = ", ".join(f'"{c}"' for c in columns(self.shape, name))
        if name in WHOLE and any(folder.glob("*.parquet")):
            source = f"read_parquet('{_q(folder)}/*.parquet')"
        elif name in PARTITIONED and any(folder.glob(f"{PARTITION}=*/*.parquet")):
            source = (
                f"read_parquet('{_q(folder)}/*/*.parquet', hive_partitioning = true, "
                "union_by_name = true)"
            )
        else:
            empty = self.shape.sql(f"SELECT * FROM {name}")  # noqa: S608
            self.con.register(f"empty_{name}", empty.to_arrow_table())
            source = f"(SELECT *, NULL::DATE AS {PARTITION} FROM empty_{name})"  # noqa: S608
        extra = f", {PARTITION}" if keep_partition and name in PARTITIONED else ""
        select = f"SELECT {cols}{extra} FROM {source}"  # noqa: S608
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {select}")

    def view(self, name: str, select: str) -> None:
        """NAME: SELECT (DuckDB's dialect), not computed until read."""
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")

    def parquet(self, name: str, paths: list[Path]) -> None:
        files = ", ".join(f"'{_q(p)}'" for p in paths)
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet([{files}])"  # noqa: S608
        )

    def create(self, name: str, select: exp.Expression | str, params: dict | None = None) -> None:
        text = select if isinstance(select, str) else select.sql(dialect="duckdb")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {text}", params or {})

    def frame(self, select: str, params: dict | None = None) -> pl.DataFrame:
        return self.con.sql(select, params=params or {}).pl()

    def write(self, view: str, table: str, replace_days: list[date] | None = None) -> None:
        """VIEW's rows (with utc_date) into the lake's TABLE: appended, or, with
        REPLACE_DAYS, those days' partitions replaced (a day without rows is removed)."""
        folder = _local(table_path(self.lake, table))
        cols = ", ".join(typed(self.shape, table, "duckdb"))
        if table in WHOLE:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            target = folder / "part-0.parquet"
            self.con.execute(f"COPY (SELECT {cols} FROM {view}) TO '{_q(target)}' (FORMAT parquet)")  # noqa: S608
            return
        query = f"SELECT {cols}, {PARTITION} FROM {view}"  # noqa: S608
        if replace_days is None:
            folder.mkdir(parents=True, exist_ok=True)
            self.con.execute(
                f"COPY ({query}) TO '{_q(folder)}' "
                f"(FORMAT parquet, PARTITION_BY ({PARTITION}), APPEND)"
            )
            return
        staging = folder.parent / "_staging" / f"{table}-{uuid.uuid4().hex}"
        self.con.execute(
            f"COPY ({query}) TO '{_q(staging)}' (FORMAT parquet, PARTITION_BY ({PARTITION}))"
        )
        for day in replace_days:
            old, new = folder / f"{PARTITION}={day}", staging / f"{PARTITION}={day}"
            shutil.rmtree(old, ignore_errors=True)
            if new.exists():
                old.parent.mkdir(parents=True, exist_ok=True)
                new.rename(old)
        shutil.rmtree(staging, ignore_errors=True)


class SparkLake:
    """The build on Spark: the same statements transpiled, views for tables, writes by
    Spark's partitioned Parquet writer (dynamic partition overwrite for replaced days)."""

    name = "spark"

    def __init__(self, lake: str, session) -> None:
        self.lake = lake
        self.session = session
        self.shape = shape()
        self.frames: dict = {}

    def _empty(self, name: str):
        relation = self.shape.sql(f"SELECT *, NULL::DATE AS {PARTITION} FROM {name}")  # noqa: S608
        return arrow_frame(self.session, relation.to_arrow_table())

    def table(self, table: str, keep_partition: bool = False, name: str | None = None) -> None:
        view, name = name or table, table
        path = table_path(self.lake, name)
        cols = columns(self.shape, name)
        try:
            if name in WHOLE:
                frame = self.session.read.parquet(path)
            else:
                frame = self.session.read.option("basePath", path).parquet(path)
            # Spark Connect reads lazily: a missing path shows only once the frame is analysed.
            _ = frame.schema
        except Exception as exc:  # Spark says a missing path in its own exception types
            # A table with no rows yet: no folder, or a folder with no data file (an empty
            # append leaves one, e.g. events after a build of sends alone).
            empty = ("PATH_NOT_FOUND", "does not exist", "UNABLE_TO_INFER_SCHEMA")
            if not any(word in str(exc) for word in empty):
                raise
            frame = self._empty(name)
        extra = [PARTITION] if keep_partition and name in PARTITIONED else []
        frame.select(*cols, *extra).createOrReplaceTempView(view)

    def view(self, name: str, select: str) -> None:
        self._sql(select, None).createOrReplaceTempView(name)

    def parquet(self, name: str, paths: list[Path]) -> None:
        self.session.read.parquet(*[str(p) for p in paths]).createOrReplaceTempView(name)

    def _sql(self, select: exp.Expression | str, params: dict | None):
        (tree,) = parse(select) if isinstance(select, str) else (select,)
        text = for_spark(tree).sql(dialect=WRITE, comments=False)
        return self.session.sql(text, args=params or {})

    def create(self, name: str, select: exp.Expression | str, params: dict | None = None) -> None:
        # Computed now and held apart from its sources (not persist()): Spark re-computes a
        # cached frame when a write touches a path it read, and the new rows of a build are
        # defined against the lake as it was before the build wrote to it.
        planned = self._sql(select, params)
        self.frames[name] = planned
        planned.localCheckpoint(eager=True).createOrReplaceTempView(name)

    def frame(self, select: str, params: dict | None = None) -> pl.DataFrame:
        return pl.from_arrow(self._sql(select, params).toArrow())

    def plans(self) -> dict[str, str]:
        """Each table made so far: its physical plan (classic pyspark; none through Spark
        Connect, which does not expose it)."""
        plans = {}
        for name, frame in self.frames.items():
            jdf = getattr(frame, "_jdf", None)
            if jdf is not None:
                plans[name] = jdf.queryExecution().executedPlan().toString()
        return plans

    def write(self, view: str, table: str, replace_days: list[date] | None = None) -> None:
        path = table_path(self.lake, table)
        cols = typed(self.shape, table, WRITE)
        if table in WHOLE:
            frame = self.session.table(view).selectExpr(*cols).coalesce(1)
            frame.write.mode("overwrite").parquet(path)
            return
        frame = self.session.table(view).selectExpr(*cols, PARTITION)
        if replace_days is None:
            frame.write.mode("append").partitionBy(PARTITION).parquet(path)
            return
        # Written aside first: the new days are computed from the partitions they replace.
        staging = f"{self.lake.rstrip('/')}/_staging/{table}-{uuid.uuid4().hex}"
        frame.write.partitionBy(PARTITION).parquet(staging)
        # With its schema: days replaced by no rows leave no file to infer one from.
        written = self.session.read.schema(frame.schema).parquet(staging)
        (
            written.write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy(PARTITION)
            .parquet(path)
        )
        present = {r[0] for r in written.select(PARTITION).distinct().collect()}
        for day in set(replace_days) - present:
            self._remove(f"{path}/{PARTITION}={day}")
        self._remove(staging)

    def _remove(self, path: str) -> None:
        """Remove a folder: on the local disk, else through Hadoop's file system (classic
        pyspark; Spark Connect cannot reach it, so an emptied day stays until the next
        build that writes it)."""
        if _is_local(path):
            shutil.rmtree(_local(path), ignore_errors=True)
            return
        jvm = getattr(self.session, "_jvm", None)
        if jvm is None:
            return
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        fs = hadoop_path.getFileSystem(self.session._jsc.hadoopConfiguration())
        fs.delete(hadoop_path, True)


def statements(file: str) -> list[exp.Expression]:
    """FILE's statements, with the store's latency macros (latency_bucket.sql) written out:
    the lake's engines do not define them."""
    macros = parse_macros(sql_text("latency_bucket.sql"))
    return [inline_macros(statement, macros) for statement in parse(sql_text(file))]


def run_file(
    lake: DuckDBLake | SparkLake, file: str, skip_writes: bool = True
) -> list[exp.Expression]:
    """Run FILE's CREATE TEMP TABLE and VIEW statements on the lake's engine; return its
    writes (INSERT, UPDATE, DELETE), which the lake makes as partitions instead."""
    writes = []
    for statement in statements(file):
        if isinstance(statement, exp.Create) and statement.args.get("kind") == "TABLE":
            lake.create(statement.this.name, statement.expression)
        elif isinstance(statement, exp.Create) and statement.args.get("kind") == "VIEW":
            lake.view(statement.this.name, statement.expression.sql(dialect="duckdb"))
        elif isinstance(statement, exp.Drop):
            continue
        elif skip_writes:
            writes.append(statement)
    return writes


def inserted(writes: list[exp.Expression], table: str) -> exp.Expression:
    """The query whose rows FILE's INSERT INTO TABLE adds."""
    for statement in writes:
        if isinstance(statement, exp.Insert) and statement.this.name == table:
            return statement.expression
    raise ValueError(f"no INSERT INTO {table}")


def _q(path: Path | str) -> str:
    """A path inside SQL quotes (COPY and read_parquet take no bound path). The SQL built
    here (noqa S608) holds only our table and column names and such quoted paths."""
    return str(path).replace("'", "''")
