"""The lake built on Spark (local[2]) holds what the store holds: the same sends, events,
messages, rollups, event code days, uncatalogued events, quarantine and accounting, whatever
the number of shuffle partitions (1, 2, 4) and of input files (1, 4), also when late events
come in a later build; no step of it funnels every row through one partition. Commands read
such a lake on Spark as they read the store."""

from __future__ import annotations

import json

import pytest

from deliverability.lake.build import build_lake
from tests.conftest import run_cli, write
from tests.spark_cases import write_logs
from tests.spark_support import funnels, spark  # noqa: F401
from tests.test_lake import assert_lake_is_store, store_from

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]


@pytest.fixture
def partitions(spark):  # noqa: F811
    """Shuffle partitions as asked, not merged back by adaptive execution."""
    conf = spark.conf
    before = conf.get("spark.sql.shuffle.partitions")
    conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")

    def use(n: int) -> None:
        conf.set("spark.sql.shuffle.partitions", str(n))

    yield use
    conf.set("spark.sql.shuffle.partitions", before)
    conf.set("spark.sql.adaptive.coalescePartitions.enabled", "true")


@pytest.mark.parametrize(("shuffle", "files"), [(1, 1), (2, 4), (4, 1)])
def test_the_spark_lake_holds_what_the_store_holds(tmp_path, spark, partitions, shuffle, files):  # noqa: F811
    partitions(shuffle)
    logs = write_logs(tmp_path / "logs", files=files)
    result = build_lake(logs, str(tmp_path / "lake"), engine="spark", session=spark)
    assert_lake_is_store(tmp_path / "lake", store_from(tmp_path / "store.duckdb", [logs]))
    assert {"new_events", "derived", "messages_out", "rollup_dims_day_new"} <= set(result.plans)
    for step, plan in result.plans.items():
        assert funnels(plan) == [], f"{step} gathers every row in one partition"


def test_late_events_in_a_later_spark_build(tmp_path, spark, partitions):  # noqa: F811
    partitions(2)
    sends, events = write_logs(tmp_path / "logs")
    lines = events.read_text().splitlines()
    late = [line for line in lines[1:] if line.startswith(("tie1,", "late1,", "rcpt1,", "unk"))]
    rest = [line for line in lines[1:] if line not in late]
    first = write(tmp_path / "b1" / "events.csv", "\n".join([lines[0], *rest]) + "\n")
    second = write(tmp_path / "b2" / "late.csv", "\n".join([lines[0], *late]) + "\n")
    lake = tmp_path / "lake"
    build_lake([sends, first], str(lake), engine="spark", session=spark)
    result = build_lake([second], str(lake), engine="spark", session=spark)
    assert result.days_rewritten == 1
    store = store_from(tmp_path / "store.duckdb", [[sends, first], [second]])
    assert_lake_is_store(lake, store)


def test_a_spark_lake_of_sends_alone_takes_its_events_later(tmp_path, spark, partitions):  # noqa: F811
    """A first build with no events leaves the events table without a data file; the next
    build reads it as empty."""
    partitions(2)
    sends, events = write_logs(tmp_path / "logs")
    lake = tmp_path / "lake"
    build_lake([sends], str(lake), engine="spark", session=spark)
    build_lake([events], str(lake), engine="spark", session=spark)
    assert_lake_is_store(lake, store_from(tmp_path / "store.duckdb", [[sends], [events]]))


def test_commands_on_a_lake_with_the_spark_engine(tmp_path):
    """The review (rollups on DuckDB, message-level questions on Spark, in a process of its
    own as a user runs it) equals the store's."""
    logs = write_logs(tmp_path / "logs")
    lake, db = tmp_path / "lake", tmp_path / "store.duckdb"
    run_cli("lake", "build", *map(str, logs), "--lake", str(lake), "--engine", "spark",
            "--spark-master", "local[2]")  # fmt: skip
    store_from(db, [logs])
    run_cli("review", "--week", "2026-W44", "--out", str(tmp_path / "spark.json"),
            "--lake", str(lake), "--engine", "spark", "--spark-master", "local[2]")  # fmt: skip
    run_cli("review", "--week", "2026-W44", "--out", str(tmp_path / "db.json"), "--db", str(db))
    on_spark = json.loads((tmp_path / "spark.json").read_text())
    assert on_spark == json.loads((tmp_path / "db.json").read_text())
    assert on_spark["spikes"], "the planted spike is in the review, with its contributors"
    # A query failing on Spark (here a damaged Parquet file) is one line, not a traceback.
    for part in (lake / "messages").rglob("*.parquet"):
        part.write_bytes(b"not parquet")
    failed = run_cli("report", "--by", "sender", "--lake", str(lake), "--engine", "spark",
                     "--spark-master", "local[2]", check=False)  # fmt: skip
    # (The JVM logs to stderr too, before it: Spark's own lines, not ours.)
    ours = [line for line in failed.stderr.splitlines() if line.startswith("deliverability:")]
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert len(ours) == 1 and ours[0].startswith("deliverability: Spark failed: "), ours


def test_the_funnel_check_tells_a_funnel_from_a_global_aggregate(spark):  # noqa: F811
    """A window over every row is a funnel; a global min() over partial mins is not."""
    spark.range(1000).createOrReplaceTempView("numbers")
    windowed = spark.sql("SELECT id, row_number() OVER (ORDER BY id) AS n FROM numbers")
    windowed.collect()
    assert funnels(windowed._jdf.queryExecution().executedPlan().toString())
    smallest = spark.sql("SELECT min(id) FROM numbers")
    smallest.collect()
    assert funnels(smallest._jdf.queryExecution().executedPlan().toString()) == []


def test_the_dashboard_on_a_lake_with_the_spark_engine(tmp_path, spark, monkeypatch):  # noqa: F811
    """The Overview and the Messages page (a message list: Spark's) read the lake as the
    store's pages read the store."""
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP, page

    logs = write_logs(tmp_path / "logs")
    lake, db = tmp_path / "lake", tmp_path / "store.duckdb"
    build_lake(logs, str(lake), engine="spark", session=spark)
    store_from(db, [logs])
    shown = {}
    for source in ("lake", "store"):
        if source == "lake":
            monkeypatch.setenv("DELIVERABILITY_LAKE", str(lake))
            monkeypatch.setenv("DELIVERABILITY_ENGINE", "spark")
        else:
            monkeypatch.delenv("DELIVERABILITY_LAKE")
            monkeypatch.setenv("DELIVERABILITY_DB", str(db))
        tiles = page(AppTest.from_file(APP, default_timeout=120), "views/overview.py").metric
        listed = page(AppTest.from_file(APP, default_timeout=120), "views/messages.py")
        shown[source] = ([(m.label, m.value) for m in tiles], listed.dataframe[0].value)
    assert shown["lake"][0] == shown["store"][0] and shown["lake"][0]
    # pandas' equals: a missing value (NaN) equals a missing value, and the types match
    assert shown["lake"][1].equals(shown["store"][1])
