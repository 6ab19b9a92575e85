"""The same questions on Spark: queries/sql's files, transpiled by SQLGlot
(deliverability/portable_sql.py), run by spark.sql with named parameters, returned as polars
through Arrow. Needs the `[spark]` extra (pyspark) and Java; classic pyspark (local mode or a
cluster) or Spark Connect (`sc://host:15002`).

Values are never formatted into SQL text: scalars and lists go to spark.sql(args=...); a list
of records (spike_contributors' spikes) becomes a small DataFrame that the query reads
instead of unnesting a literal.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import deque
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import polars as pl
from sqlglot import exp

from deliverability.portable_sql import (
    READ,
    WRITE,
    Macro,
    for_spark,
    inline_macros,
    parse,
    parse_macros,
    to_spark_tree,
)
from deliverability.queries.runner import MACROS, macro_text, sql

# Spark settings that make it read and compute as the store does: times without a zone,
# in UTC (DuckDB's TIMESTAMP), and no UI server in tests and CLI runs.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
_views = itertools.count()


def spark_session(remote: str | None = None, master: str | None = "local[2]", **conf: str):
    """A SparkSession with SESSION_CONF: Spark Connect at REMOTE (sc://...), else classic
    pyspark on MASTER (None: what spark-submit or the environment gives, local[*] alone)."""
    # pyspark warns on import that it does not fully support pandas 3; results come back
    # through Arrow to polars here, never through pandas.
    warnings.filterwarnings(
        "ignore", "PySpark does not yet fully support pandas", FutureWarning, "pyspark"
    )
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RuntimeError(
            "--engine spark needs pyspark: pip install 'deliverability[spark]' (and Java 17)"
        ) from exc
    builder = SparkSession.builder.appName("deliverability")
    if remote:
        builder = builder.remote(remote)
    else:
        if master:
            builder = builder.master(master)
        if master and master.startswith("local"):
            # One process on this machine: no web UI to serve.
            builder = builder.config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        builder = builder.config("spark.log.level", "ERROR")
    for key, value in {**SESSION_CONF, **conf}.items():
        builder = builder.config(key, value)
    try:
        if remote:
            _connect_server_answers(remote)
        session = builder.getOrCreate()
        for key, value in SESSION_CONF.items():
            session.conf.set(key, value)
    except Exception as exc:  # no Java, a Connect server that does not answer, ...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RuntimeError(f"cannot start Spark ({remote or master or 'local'}): {first}") from exc
    return session


# How long a Spark Connect server has to accept the first connection. The client's own
# retries wait more than ten minutes for a server that is not there, without a word.
CONNECT_WAIT_SECONDS = 15


def _connect_server_answers(remote: str) -> None:
    """Raise when nothing accepts a connection at REMOTE (sc://host:port/;params: TLS and a
    token as the client would use them) within CONNECT_WAIT_SECONDS."""
    import grpc
    from pyspark.sql.connect.client import DefaultChannelBuilder

    channel = DefaultChannelBuilder(remote).toChannel()
    try:
        grpc.channel_ready_future(channel).result(timeout=CONNECT_WAIT_SECONDS)
    except grpc.FutureTimeoutError:
        raise ConnectionError(
            f"no Spark Connect server answers within {CONNECT_WAIT_SECONDS} s"
        ) from None
    finally:
        channel.close()


@cache
def _macros() -> dict[str, Macro]:
    macros: dict[str, Macro] = {}
    for name in MACROS:
        macros.update(parse_macros(macro_text(name)))
    return macros


@cache
def _tree(name: str) -> exp.Expression:
    statements = to_spark_tree(sql(name), _macros())
    if len(statements) != 1:
        raise ValueError(f"{name}.sql: a query file holds one statement, not {len(statements)}")
    return statements[0]


def _records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _spark_type(values: list):
    from pyspark.sql import types as T

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return T.BooleanType()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return T.LongType()
    if present and all(isinstance(v, float | int) for v in present):
        return T.DoubleType()
    if present and all(isinstance(v, datetime) for v in present):
        return T.TimestampNTZType()
    if present and all(isinstance(v, date) for v in present):
        return T.DateType()
    return T.StringType()


class SparkEngine:
    """Runs queries/sql's files on a SparkSession over TABLES: each store table's name and
    the Parquet path (a file, a folder, a Hive-partitioned folder; local or s3a://, abfss://,
    gs://) or Spark DataFrame that holds it."""

    name = "spark"

    def __init__(self, session, tables: Mapping[str, Any], owns_session: bool = False) -> None:
        self.session = session
        self.owns_session = owns_session
        self.tables = {
            table: source if not isinstance(source, str) else session.read.parquet(source)
            for table, source in tables.items()
        }

    def spark_sql(self, name: str, params: dict) -> tuple[str, dict, list[str]]:
        """NAME.sql as Spark SQL, its arguments, and the temporary views made for lists of
        records (drop them after the query)."""
        tree = _tree(name).copy()
        used = {p.name for p in tree.find_all(exp.Placeholder)}
        views = []
        for param in sorted(used):
            if _records(params.get(param)):
                views.append(self._records_view(tree, param, params[param]))
        args = {k: _argument(v) for k, v in params.items() if k in used and not _records(v)}
        missing = used - set(params)
        if missing:
            raise ValueError(f"{name}.sql needs {', '.join(sorted(missing))}")
        return tree.sql(dialect=WRITE, comments=False), args, views

    def _records_view(self, tree: exp.Expression, param: str, records: list[dict]) -> str:
        """A view of RECORDS (one struct column), read in TREE where it unnests :PARAM."""
        from pyspark.sql import types as T

        fields = list(records[0])
        struct = T.StructType(
            [T.StructField(f, _spark_type([r.get(f) for r in records])) for f in fields]
        )
        view = f"param_{re.sub(r'[^a-z0-9_]', '', param)}_{next(_views)}"
        for select in list(tree.find_all(exp.Select)):
            (only,) = select.expressions if len(select.expressions) == 1 else (None,)
            if only is None or not isinstance(only.unalias(), exp.Explode | exp.Unnest):
                continue
            unnested = only.unalias()
            unnested = unnested.expressions if isinstance(unnested, exp.Unnest) else [unnested.this]
            if len(unnested) == 1 and isinstance(unnested[0], exp.Placeholder):
                if unnested[0].name == param:
                    column = only.alias_or_name
                    schema = T.StructType([T.StructField(column, struct)])
                    rows = [(tuple(r.get(f) for f in fields),) for r in records]
                    self.session.createDataFrame(rows, schema).createOrReplaceTempView(view)
                    select.set("expressions", [exp.column(column)])
                    select.set("from_", exp.From(this=exp.to_table(view)))
                    return view
        raise ValueError(f"a list of records can only be unnested alone: ${param}")

    def close(self) -> None:
        """Stop the session when this engine started it (a Spark Connect session is then
        released on the server)."""
        if self.owns_session:
            self.session.stop()

    def run(self, name: str, params: dict) -> pl.DataFrame:
        # Views are the session's: each run names its own tables (several engines, one
        # session). Registering a view reads nothing.
        for table in {t.name for t in _tree(name).find_all(exp.Table)} & set(self.tables):
            self.tables[table].createOrReplaceTempView(table)
        text, args, views = self.spark_sql(name, params)
        try:
            table = self.session.sql(text, args=args).toArrow()
        finally:
            for view in views:
                self.session.catalog.dropTempView(view)
        return _as_store_types(pl.from_arrow(table))


def _argument(value: Any) -> Any:
    """A parameter as spark.sql(args=...) takes it: tuples as lists."""
    if isinstance(value, tuple):
        return list(value)
    return value


def _as_store_types(frame: pl.DataFrame) -> pl.DataFrame:
    """Spark's result with the store's types where they differ only in form: times without
    a zone (in UTC), as DuckDB's TIMESTAMP."""
    return frame.with_columns(
        pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        for c, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )


# The tables whose size grows with every message: questions that read them go to Spark.
MESSAGE_LEVEL = frozenset({"messages", "events", "sends"})


def tables_read(name: str) -> frozenset[str]:
    """The tables queries/sql/NAME.sql reads, its macros' included."""
    return frozenset(t.name for t in _tree(name).find_all(exp.Table))


@cache
def message_level_condition(name: str) -> str | None:
    """When NAME.sql needs message-level rows, as a DuckDB expression over its parameters
    (TRUE: always), or None when it reads no message-level table.

    A file that an earlier branch answers from the rollups (message_cube.sql) reads the
    messages in a branch whose WHERE holds conditions on parameters alone (rollup_choice's
    macros). Such a condition that is not true leaves its SELECT no row of what it reads
    (its FROM, joins and WHERE), so those reads matter only when every such condition
    around them is true. The expression is the file's own conditions, macro calls kept,
    which DuckDB evaluates with the file's macros: the decision is written once, in SQL."""
    return condition_of(sql(name))


def condition_of(text: str) -> str | None:
    """message_level_condition of a query's TEXT (DuckDB's dialect, our macros called)."""
    (tree,) = parse(text)
    tables = {t.name for t in for_spark(tree, _macros()).find_all(exp.Table)}
    if not tables & MESSAGE_LEVEL:
        return None
    tree = inline_macros(tree, {k: m for k, m in _macros().items() if m.is_table})
    reads = [t for t in tree.find_all(exp.Table) if t.name in MESSAGE_LEVEL]
    conditions = []
    for read in reads:
        guards = [g for select in _selects_around(read) for g in _parameter_conditions(select)]
        if not guards:
            return "TRUE"
        conditions.append(exp.paren(exp.and_(*(g.copy() for g in guards))).is_(exp.true()))
    if not conditions:  # the messages are read where this cannot see (a scalar macro)
        return "TRUE"
    return exp.or_(*conditions).sql(dialect=READ)


def _selects_around(node: exp.Expression) -> list[exp.Select]:
    """The SELECTs whose rows NODE is read for (it is in their FROM, joins or WHERE),
    innermost first. Not those it is in otherwise: a scalar subquery in the select list of
    an aggregate is computed even when its WHERE keeps no row."""
    selects = []
    while node.parent is not None:
        key, node = node.arg_key, node.parent
        if isinstance(node, exp.Select) and key in ("from_", "joins", "where"):
            selects.append(node)
    return selects


def _parameter_conditions(select: exp.Select) -> list[exp.Expression]:
    """SELECT's WHERE conditions (its ANDed terms) that read parameters and no row."""
    where = select.args.get("where")
    if where is None:
        return []
    terms, found = [where.this], []
    while terms:
        term = terms.pop()
        term = term.unnest() if isinstance(term, exp.Paren) else term
        if isinstance(term, exp.And):
            terms += [term.this, term.expression]
        elif term.find(exp.Placeholder) and _reads_no_row(term):
            found.append(term)
    return found


def _reads_no_row(term: exp.Expression) -> bool:
    """TERM reads no column, no subquery, and calls no macro of ours that does."""
    if term.find(exp.Column, exp.Subquery, exp.Select, exp.Table):
        return False
    macros = _macros()
    return all(
        not macros[call.name.lower()].body.find(exp.Subquery, exp.Select, exp.Table)
        for call in term.find_all(exp.Anonymous)
        if call.name.lower() in macros
    )


class RoutedEngine:
    """A lake read two ways: questions over its small tables (rollups, the catalog, the
    ledger) by DuckDB on SMALL, questions that need message-level rows (message lists,
    contributors, latencies and counts the rollups cannot answer) by Spark on LARGE. A
    file that reads the rollups or the messages as its parameters decide (message_cube.sql,
    latency_quantiles.sql) runs on
    DuckDB when, for these parameters, its own conditions leave the messages unread
    (message_level_condition). Both give the same rows; this is only where each runs
    fastest. RAN holds the latest calls' (file, engine name)."""

    name = "spark"

    def __init__(self, small, large: SparkEngine) -> None:
        self.small = small
        self.large = large
        self.ran: deque[tuple[str, str]] = deque(maxlen=1000)

    def run(self, name: str, params: dict) -> pl.DataFrame:
        from deliverability.queries.runner import run

        if self.needs_messages(name, params):
            self.ran.append((name, self.large.name))
            return self.large.run(name, params)
        self.ran.append((name, "duckdb"))
        return run(self.small, name, **params)

    def needs_messages(self, name: str, params: dict) -> bool:
        """Whether NAME.sql with PARAMS reads message-level rows (DuckDB evaluates its
        conditions on parameters, with its macros, over no table)."""
        from deliverability.queries.runner import _used_params, prepare

        condition = message_level_condition(name)
        if condition in (None, "TRUE"):
            return condition == "TRUE"
        query = f"SELECT {condition}"  # our file's own SQL, its parameters bound
        prepare(self.small, sql(name))
        self.small.complete()
        bound = _used_params(query, params)
        return bool(self.small.execute(query, bound).fetchone()[0])

    def execute(self, *args, **kwargs):
        """What reads a small table itself (the upload page's saved mappings) reads it on
        the DuckDB side."""
        return self.small.execute(*args, **kwargs)

    def close(self) -> None:
        self.small.close()
        self.large.close()
