"""The project's DuckDB SQL as Spark SQL: one set of .sql files, two engines.

Every question and the final-status rule are written once, in DuckDB's dialect (the
embedded store's). For Spark, SQLGlot parses a file, our macros (queries/sql's TEMP MACROs)
are inlined into it, the few DuckDB spellings SQLGlot leaves alone are rewritten to Spark's,
and `$name` parameters become `:name`, bound by spark.sql(args=...), never formatted in.

`spark_problems` says what in a text would not run on Spark, or would run with another
answer (paired unnests, any_value, DuckDB-only functions): tests/test_spark_sql.py holds
every .sql file to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

READ = "duckdb"
WRITE = "spark"

# Functions Spark has that SQLGlot passes through by name (it models the rest). A function
# called in our SQL that is neither modelled nor listed here is reported as not portable.
SPARK_PASSTHROUGH = frozenset(
    {
        "FROM_UTC_TIMESTAMP",
        "PERCENTILE",
        "UNIX_MICROS",
        "SPLIT_PART",
        "TRY_ELEMENT_AT",
        "TRANSLATE",
        "HASH",
        "NAMED_STRUCT",
        "DATE_TRUNC",
    }
)
# Functions DuckDB has and Spark has not (or has with another meaning), with what to use.
DUCKDB_ONLY = {
    "LIST_SLICE": "split_part / substr, or slice with 1-based bounds",
    "REGEXP_FULL_MATCH": "regexp_matches with ^...\\z",
    "TO_DAYS": "n * INTERVAL 1 DAY",
    "GETVARIABLE": "a bound parameter",
    "STRIP_ACCENTS": "no Spark builtin",
    "TIMEZONE": "the local_time macro",
    "LIST_ZIP": "one list of records",
}


ACCENTED = "ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆČçćčĎďÈÉÊËĒĘĚèéêëēęěÌÍÎÏĪìíîïīŁłÑŃŇñńňÒÓÔÕÖØŌòóôõöøōŘřŚŠŞśšşŤŢťţÙÚÛÜŪŮùúûüūůÝŸýÿŹŻŽźżž"
UNACCENTED = "AAAAAAAAAaaaaaaaaaCCCcccDdEEEEEEEeeeeeeeIIIIIiiiiiLlNNNnnnOOOOOOOoooooooRrSSSsssTTttUUUUUUuuuuuuYYyyZZZzzz"


@dataclass(frozen=True)
class Macro:
    """A TEMP MACRO from one of our .sql files: its parameters and its body (an expression,
    or a query for a table macro)."""

    name: str
    params: tuple[str, ...]
    body: exp.Expression
    is_table: bool


def parse_macros(text: str) -> dict[str, Macro]:
    """The macros a file of CREATE TEMP MACRO statements defines, by name."""
    macros = {}
    for statement in sqlglot.parse(text, read=READ):
        if not isinstance(statement, exp.Create) or statement.args.get("kind") != "MACRO":
            continue
        udf = statement.this
        name = udf.this.name.lower()
        params = tuple(p.name.lower() for p in udf.expressions)
        body = statement.expression
        macros[name] = Macro(name, params, body, isinstance(body, exp.Query))
    return macros


def _bind(macro: Macro, args: list[exp.Expression]) -> exp.Expression:
    """MACRO's body with each parameter replaced by its argument."""
    if len(args) != len(macro.params):
        raise ValueError(f"{macro.name} takes {len(macro.params)} arguments, not {len(args)}")
    values = dict(zip(macro.params, args, strict=True))

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.lower() in values:
            return exp.paren(values[node.name.lower()].copy(), copy=False)
        return node

    return macro.body.copy().transform(replace)


def inline_macros(tree: exp.Expression, macros: dict[str, Macro]) -> exp.Expression:
    """TREE with every call of MACROS replaced by the macro's body (macros calling macros
    too): a table macro becomes a subquery with the call's alias."""
    for _ in range(10):  # deeper nesting than ours would be a cycle
        changed = False

        def expand(node: exp.Expression) -> exp.Expression:
            nonlocal changed
            if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
                macro = macros.get(node.this.name.lower())
                if macro and macro.is_table:
                    changed = True
                    alias = node.args.get("alias")
                    query = _bind(macro, list(node.this.expressions))
                    return exp.Subquery(this=query, alias=alias.copy() if alias else None)
            if isinstance(node, exp.Anonymous):
                macro = macros.get(node.name.lower())
                if macro and not macro.is_table:
                    changed = True
                    return exp.paren(_bind(macro, list(node.expressions)), copy=False)
            return node

        tree = tree.transform(expand)
        if not changed:
            return tree
    raise ValueError("macros nest too deeply (a macro calling itself?)")


def _anonymous(name: str, node: exp.Expression) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() == name


def _spark_spellings(node: exp.Expression) -> exp.Expression:
    """One DuckDB spelling SQLGlot keeps as it is, in Spark's words (same meaning)."""
    # local_time: DuckDB's timezone(zone, timezone('UTC', ts)) is the wall-clock time in
    # zone of a UTC timestamp, which is Spark's from_utc_timestamp.
    if _anonymous("TIMEZONE", node) and len(node.expressions) == 2:
        zone, inner = node.expressions
        if _anonymous("TIMEZONE", inner) and len(inner.expressions) == 2:
            utc, ts = inner.expressions
            if isinstance(utc, exp.Literal) and utc.this.upper() == "UTC":
                shifted = exp.Anonymous(
                    this="FROM_UTC_TIMESTAMP", expressions=[ts.copy(), zone.copy()]
                )
                return exp.cast(shifted, exp.DataType.build("TIMESTAMP_NTZ", dialect=WRITE))
    # Spark's percentile_cont is the WITHIN GROUP form; percentile(x, p) interpolates alike.
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(
            this="PERCENTILE", expressions=[node.this.copy(), node.expression.copy()]
        )
    # epoch() keeps the fraction of a second in DuckDB; Spark's unix_timestamp drops it.
    if isinstance(node, exp.TimeToUnix):
        micros = exp.Anonymous(
            this="UNIX_MICROS",
            expressions=[exp.cast(node.this.copy(), exp.DataType.build("TIMESTAMP"))],
        )
        return exp.Div(
            this=exp.cast(micros, exp.DataType.build("DOUBLE")),
            expression=exp.Literal.number(1_000_000),
        )
    # epoch_us(ts): microseconds since the epoch, Spark's unix_micros.
    if _anonymous("EPOCH_US", node) and len(node.expressions) == 1:
        return exp.Anonymous(
            this="UNIX_MICROS",
            expressions=[exp.cast(node.expressions[0].copy(), exp.DataType.build("TIMESTAMP"))],
        )
    # getvariable('x') is a session variable in DuckDB: a bound parameter elsewhere.
    if _anonymous("GETVARIABLE", node) and isinstance(node.expressions[0], exp.Literal):
        return exp.Placeholder(this=node.expressions[0].this)
    # Spark has no strip_accents: the accented Latin letters carrier names are written
    # with (Telefónica, Orange Côte d'Ivoire, Tele2 Sverige's å) map to their base letter.
    if _anonymous("STRIP_ACCENTS", node) and len(node.expressions) == 1:
        return exp.Anonymous(
            this="TRANSLATE",
            expressions=[
                node.expressions[0].copy(),
                exp.Literal.string(ACCENTED),
                exp.Literal.string(UNACCENTED),
            ],
        )
    # Spark has no MATERIALIZED hint; its optimiser decides.
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


def parse(text: str) -> list[exp.Expression]:
    """TEXT's statements, as DuckDB reads them."""
    return [s for s in sqlglot.parse(text, read=READ) if s is not None]


def for_spark(tree: exp.Expression, macros: dict[str, Macro] | None = None) -> exp.Expression:
    """TREE (DuckDB dialect) with MACROS inlined and Spark's spellings."""
    return inline_macros(tree.copy(), macros or {}).transform(_spark_spellings)


def to_spark_tree(text: str, macros: dict[str, Macro] | None = None) -> list[exp.Expression]:
    """TEXT's statements (DuckDB dialect) with MACROS inlined and Spark's spellings."""
    return [for_spark(s, macros) for s in parse(text)]


def to_spark(text: str, macros: dict[str, Macro] | None = None) -> list[str]:
    """TEXT's statements as Spark SQL, each with `:name` parameters."""
    return [
        s.sql(dialect=WRITE, unsupported_level=sqlglot.ErrorLevel.RAISE, comments=False)
        for s in to_spark_tree(text, macros)
    ]


def _unnests_per_select(tree: exp.Expression) -> Iterable[str]:
    for select in tree.find_all(exp.Select):
        unnests = [
            e for e in select.expressions if isinstance(e.unalias(), exp.Unnest | exp.Explode)
        ]
        if len(unnests) > 1:
            yield (
                f"{len(unnests)} unnests in one SELECT: Spark makes a cross product of them "
                "where DuckDB zips them (unnest one list of records, or join a VALUES list)"
            )


def spark_problems(text: str, macros: dict[str, Macro] | None = None) -> list[str]:
    """What in TEXT (DuckDB dialect, after inlining MACROS) would not carry over to Spark:
    fail to run, or give another answer. Empty when it carries over."""
    problems: list[str] = []
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    if re.search(r"\blen\s*\(", code, re.IGNORECASE):
        # SQLGlot reads DuckDB's len() as a string's length: on a list Spark fails.
        problems.append("len(): write length() for text and array_length() for lists")
    try:
        trees = to_spark_tree(text, macros)
    except (sqlglot.errors.SqlglotError, ValueError) as exc:
        return [f"does not parse: {exc}"]
    for tree in trees:
        problems += _unnests_per_select(tree)
        for node in tree.find_all(exp.AnyValue):
            problems.append(
                f"any_value({node.this.sql(READ)}): each engine picks another row "
                "(arg_max by time instead)"
            )
        for node in tree.find_all(exp.Anonymous):
            name = node.name.upper()
            if name not in DUCKDB_ONLY and name not in SPARK_PASSTHROUGH:
                problems.append(f"{name.lower()}(): not known to carry over to Spark")
        try:
            spark = tree.sql(
                dialect=WRITE, unsupported_level=sqlglot.ErrorLevel.RAISE, comments=False
            )
        except sqlglot.errors.UnsupportedError as exc:
            problems.append(f"unsupported in Spark: {exc}")
            continue
        # SQLGlot models some of these and writes them out under DuckDB's name.
        for name, instead in DUCKDB_ONLY.items():
            if re.search(rf"\b{name}\s*\(", spark, re.IGNORECASE):
                problems.append(f"{name.lower()}(): DuckDB only ({instead})")
    return problems
