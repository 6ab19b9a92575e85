"""Every .sql file carries over to Spark: SQLGlot compiles it (our macros inlined) and
nothing in it would fail there or give another answer (paired unnests, any_value,
DuckDB-only functions, len() of a list). SQLGlot only: no Spark needed, fast tier.

The files that only the embedded store runs say why, below; the lake reuses the others."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from deliverability.portable_sql import parse_macros, spark_problems, to_spark, to_spark_tree
from deliverability.queries.runner import MACROS, macro_text
from tests.conftest import ROOT

QUERY_SQL = ROOT / "queries" / "sql"
STORE_SQL = ROOT / "deliverability" / "sql"

# Run by the embedded store only, with why.
EMBEDDED_ONLY = {
    "ingest_typed.sql": "types one file's raw rows with DuckDB's timestamp parsing (ICU zones, "
    "strptime layouts); the lake types each input file with it in DuckDB too",
    "macros.sql": "the parsing helpers ingest_typed.sql calls",
    "ingest_known_rows.sql": "fingerprints one file's staged rows against the store's list of "
    "rows it loaded (row_fingerprints), before typing; a lake has no such list and "
    "de-duplicates by key",
}
# `deliverability alert` reads the alert ledger and what it keeps of its runs, which only the
# store holds: alert*.sql files are the store's alone.
STORE_ONLY_PREFIX = "alert"
# Files whose writes the lake makes its own way (Parquet partitions, not UPDATE/DELETE):
# it runs their CREATE TEMP TABLE statements and the SELECTs that feed their writes.
LAKE_WRITES = {"refresh_write_listed.sql", "rollups.sql"}

FILES = sorted([*QUERY_SQL.glob("*.sql"), *STORE_SQL.glob("*.sql")])


def query_macros() -> dict:
    macros = {}
    for name in MACROS:
        macros.update(parse_macros(macro_text(name)))
    return macros


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_sql_file_carries_over_to_spark(path: Path):
    if path.name in EMBEDDED_ONLY:
        pytest.skip(EMBEDDED_ONLY[path.name])
    if path.name.startswith(STORE_ONLY_PREFIX):
        pytest.skip("the alert ledger lives in the store, not the lake")
    assert spark_problems(path.read_text(encoding="utf-8"), query_macros()) == []


def test_the_checks_catch_what_the_trial_found():
    """The three silent differences and the failure a trial of Spark found are caught."""
    paired = "SELECT unnest([1, 2]) AS a, unnest(['x', 'y']) AS b"
    assert any("cross product" in p for p in spark_problems(paired))
    shown = "SELECT code, any_value(status_text) AS example_text FROM e GROUP BY code"
    assert any("any_value" in p for p in spark_problems(shown))
    assert any("len()" in p for p in spark_problems("SELECT len(parts) FROM notes"))
    for duckdb_only in ("list_slice(p, 1, 2)", "regexp_full_match(s, 'x')", "to_days(3)"):
        assert spark_problems(f"SELECT {duckdb_only}") != []


def test_macros_are_inlined_and_parameters_stay_bound():
    """No macro call and no value reaches Spark's text: parameters are `:name`."""
    text = (QUERY_SQL / "message_cube.sql").read_text(encoding="utf-8")
    (spark,) = to_spark(text, query_macros())
    for macro in ("filtered_messages(", "outcome_counts(", "rollup_answers(", "local_time("):
        assert macro not in spark.lower()
    assert ":since" in spark and "$since" not in spark
    assert "FROM_UTC_TIMESTAMP" in spark.upper()


def test_derivation_statements_are_temp_tables_or_the_lake_s_own_writes():
    """The derivation's statements either build a temp table or view from a query (a temp
    view on Spark) or write a derived table the lake writes as partitions itself.
    (refresh_write_new.sql, the store's first derivation, is the store's alone: the lake
    writes every build's messages through refresh_write_listed.sql.)"""
    derivation = ("refresh_input_listed.sql", "refresh_messages.sql", "refresh_input_slice.sql")
    for name in (*derivation, *sorted(LAKE_WRITES)):
        for tree in to_spark_tree((STORE_SQL / name).read_text(encoding="utf-8")):
            if isinstance(tree, exp.Create):
                assert tree.args.get("kind") in ("TABLE", "VIEW") and isinstance(
                    tree.expression, exp.Query
                ), name
            else:
                assert name in LAKE_WRITES, f"{name}: {tree.key} on Spark"
                assert isinstance(tree, exp.Insert | exp.Update | exp.Delete), name


def test_spark_spellings_keep_meaning():
    """The rewrites keep the DuckDB meaning: milliseconds in epoch, interpolating
    percentiles, accents stripped."""
    (epoch,) = to_spark("SELECT epoch(final_at) - epoch(sent_at) FROM m")
    assert "UNIX_MICROS" in epoch.upper()
    (quantile,) = to_spark("SELECT quantile_cont(x, 0.9) FROM t")
    assert "PERCENTILE(" in quantile.upper()
    (accents,) = to_spark("SELECT strip_accents(carrier) FROM t")
    assert "TRANSLATE(" in accents.upper()
    assert sqlglot.parse_one(accents, read="spark") is not None
