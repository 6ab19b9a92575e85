"""A lake build on Spark stopped midway and run again leaves every table as one uninterrupted
build does (deliverability/lake/journal.py, on Spark's writer): stopped before its ledger
write, every appended table (sends, events, rejected rows, event code days, uncatalogued
events) holds the stopped build's rows, which the next build takes back out, emptying a day
only the stopped build had written, before adding them again."""

from __future__ import annotations

import shutil

import pytest

from deliverability.lake.build import build_lake
from deliverability.lake.engines import DuckDBLake, SparkLake
from tests.spark_support import spark  # noqa: F401
from tests.test_lake import Stopped, Stopper, lake_tables, two_batches

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]


def test_a_spark_build_stopped_before_its_ledger_and_run_again(tmp_path, spark, monkeypatch):  # noqa: F811
    """The first batch and the uninterrupted reference are built on DuckDB, which writes the
    same lake (tests/test_spark_lake.py): only the stopped build and its run again are
    Spark's."""
    first, second = two_batches(tmp_path / "logs")
    base, reference, lake = tmp_path / "base", tmp_path / "reference", tmp_path / "lake"
    build_lake(first, str(base))
    shutil.copytree(base, reference)
    shutil.copytree(base, lake)
    counted = Stopper(DuckDBLake, monkeypatch)
    counted.stop_at(None)
    done = build_lake(second, str(reference))
    # The same writes in the same order on either engine: stopped before the ledger's.
    stopper = Stopper(SparkLake, monkeypatch)
    stopper.stop_at(counted.writes.index("ingests") + 1)
    with pytest.raises(Stopped):
        build_lake(second, str(lake), engine="spark", session=spark)
    assert lake_tables(lake) != lake_tables(base)  # the stopped build's rows are in
    stopper.stop_at(None)
    again = build_lake(second, str(lake), engine="spark", session=spark)
    assert [f.as_dict() for f in again.files] == [f.as_dict() for f in done.files]
    assert lake_tables(lake) == lake_tables(reference)
