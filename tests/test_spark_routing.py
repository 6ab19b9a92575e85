"""A lake read with `--engine spark` (RoutedEngine): a question the rollups answer runs on
DuckDB, one that needs message-level rows on Spark, as the query file's own conditions
(rollup_choice.sql's macros, evaluated by DuckDB) decide for each call's parameters; and
wherever it runs, the rows are those of DuckDB over the whole lake."""

from __future__ import annotations

from datetime import datetime

import pytest

from deliverability.lake.build import build_lake
from deliverability.lake.read import SMALL, duckdb_over_lake, spark_tables
from deliverability.queries.filters import Filters
from deliverability.queries.report import report
from deliverability.queries.runner import run
from deliverability.queries.spark_engine import condition_of, message_level_condition
from deliverability.queries.spike_settings import SpikeSettings
from deliverability.queries.spikes import find_spikes
from tests.spark_cases import write_logs
from tests.spark_support import assert_same_rows, spark  # noqa: F401
from tests.test_spark_parity import QUERY_FILES, _cases, _flags

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

# The edge-case logs run from 1 to 30 October 2026.
DAYS = Filters(since=datetime(2026, 10, 5), until=datetime(2026, 10, 31))
WINDOWS = {
    "all": Filters(),
    "days": DAYS,
    "hours": DAYS.with_(since=datetime(2026, 10, 5, 6)),
    "minutes": DAYS.with_(since=datetime(2026, 10, 5, 6, 30)),
    "verizon": DAYS.with_(carrier=("Verizon",)),
    "kolkata": DAYS.with_(zone="Asia/Kolkata"),  # +05:30: its days cut UTC hours
    "new_york": DAYS.with_(zone="America/New_York"),  # whole hours off UTC
}
# message_cube.sql's calls: filters, grain, grouped dimensions, and where the call runs.
CUBE = [
    ("all", None, (), "duckdb"),
    ("all", "hour", ("code",), "duckdb"),
    ("all", "week", ("provider", "outcome"), "duckdb"),
    ("all", "week", ("provider", "sender"), "spark"),  # no rollup has the sender
    ("days", "day", ("carrier", "campaign"), "duckdb"),  # the daily rollup
    ("hours", "day", ("code",), "duckdb"),  # the hourly rollup, on whole hours
    ("hours", "day", ("carrier",), "spark"),  # by carrier on whole hours, not days
    ("minutes", None, (), "spark"),  # a window not on whole hours
    ("verizon", "day", ("code",), "duckdb"),  # a carrier filter: the daily rollup
    ("verizon", "hour", ("code",), "spark"),  # ... which has no hours
    ("kolkata", None, (), "duckdb"),  # one bucket: no zone to cut in
    ("kolkata", "day", ("code",), "spark"),
    ("new_york", "day", ("code",), "duckdb"),  # the hourly rollup cut at its midnights
    ("new_york", "day", ("carrier",), "spark"),  # the daily rollup's days are UTC's
]
# Every other file that reads message-level tables needs them whatever its parameters,
# except uncatalogued_codes on the whole store (the uncatalogued events table answers).
ON_SPARK = {
    "codes_new_in_period", "files_for_period", "has_send_log", "message_events", "messages_count", "messages_in_selection",
    "report_coverage_by_provider", "spike_contributors", "store_overview", "time_range",
    "weeks_in_store",
}  # fmt: skip


def _whole_day(value) -> bool:
    return value is None or value == datetime.combine(value.date(), datetime.min.time())


def _expected(query: str, params: dict) -> str:
    if query == "uncatalogued_codes":
        return "duckdb" if params["whole_store"] else "spark"
    if query == "latency_quantiles":
        # The latency rollup: per UTC day and code, no carrier, country, campaign or sender.
        answers = (
            not any(params[f"by_{p}"] for p in ("carrier", "country", "campaign", "sender"))
            and not any(params[f] for f in ("carriers", "countries", "campaigns"))
            and params["grain"] != "hour"
            and (params["grain"] is None or params["zone"] == "UTC")
            and _whole_day(params["since"])
            and _whole_day(params["until"])
        )
        return "duckdb" if answers else "spark"
    return "spark" if query in ON_SPARK else "duckdb"


@pytest.fixture(scope="module")
def lake(tmp_path_factory, spark):  # noqa: F811
    """The edge-case logs as a lake; RoutedEngine over it as `--engine spark` opens it, and
    DuckDB over the whole lake, whose rows every call must give."""
    from deliverability.queries.spark_engine import RoutedEngine, SparkEngine

    tmp = tmp_path_factory.mktemp("routing")
    path = str(tmp / "lake")
    build_lake(write_logs(tmp / "logs"), path)
    routed = RoutedEngine(
        duckdb_over_lake(path, SMALL), SparkEngine(spark, spark_tables(spark, path))
    )
    whole = duckdb_over_lake(path)
    yield routed, whole
    routed.small.close()
    whole.close()


@pytest.mark.parametrize(
    ("window", "grain", "dims", "engine"),
    CUBE,
    ids=[f"{w}-{g}-{'+'.join(d) or 'total'}-{e}" for w, g, d, e in CUBE],
)
@pytest.mark.spark
@pytest.mark.slow
def test_a_count_runs_where_its_rows_are(lake, window, grain, dims, engine):
    routed, whole = lake
    params = {**WINDOWS[window].params(), "grain": grain, **_flags(*dims)}
    routed.ran.clear()
    rows = routed.run("message_cube", params)
    assert list(routed.ran) == [("message_cube", engine)]
    assert_same_rows(run(whole, "message_cube", **params), rows)


@pytest.mark.parametrize("query", [q for q in QUERY_FILES if q not in ("message_cube",)])
@pytest.mark.spark
@pytest.mark.slow
def test_every_other_query_file_runs_where_its_rows_are(lake, query):
    routed, whole = lake
    for params in _cases(whole)[query]:
        routed.ran.clear()
        rows = routed.run(query, params)
        assert list(routed.ran) == [(query, _expected(query, params))], params
        assert_same_rows(run(whole, query, **params), rows)


@pytest.mark.spark
@pytest.mark.slow
def test_report_and_spikes_count_on_the_rollups_and_ask_spark_for_the_rest(lake):
    """report's counts come from the rollups (DuckDB), its latencies from the messages
    (Spark); spikes test the rollups' counts and ask Spark for the contributors."""
    routed, whole = lake
    routed.ran.clear()
    assert report(routed, ["carrier", "day"], DAYS).equals(report(whole, ["carrier", "day"], DAYS))
    assert {(q, e) for q, e in routed.ran if q == "message_cube"} == {("message_cube", "duckdb")}
    assert ("latency_quantiles", "spark") in routed.ran
    routed.ran.clear()
    settings = SpikeSettings(grain="day")
    found = find_spikes(routed, Filters(), settings)
    assert found.equals(find_spikes(whole, Filters(), settings)) and not found.is_empty()
    assert {(q, e) for q, e in routed.ran if q == "message_cube"} == {("message_cube", "duckdb")}
    assert ("spike_contributors", "spark") in routed.ran


def test_the_condition_is_the_query_file_s_own():
    """What decides is the file's WHERE on parameters (rollup_choice's macros kept as
    calls for DuckDB), never a copy of it; a file reading no message-level table has none,
    one that reads them unconditionally is always on Spark."""
    cube = message_level_condition("message_cube")
    assert "HOURLY_ROLLUP_ANSWERS(" in cube.upper() and "DAILY_ROLLUP_ANSWERS(" in cube.upper()
    assert message_level_condition("uncatalogued_codes") == "(NOT $whole_store) IS TRUE"
    assert message_level_condition("ingest_ledger") is None
    assert message_level_condition("messages_in_selection") == "TRUE"
    assert "LATENCY_ROLLUP_ANSWERS(" in message_level_condition("latency_quantiles").upper()
    assert all(message_level_condition(q) == "TRUE" for q in ON_SPARK)


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("SELECT count(*) AS n FROM rollup_code_hour WHERE $flag", None),
        (
            "SELECT count(*) AS n FROM messages WHERE $flag AND message_at > $since",
            "($flag) IS TRUE",
        ),
        # Every read of the messages must be behind a false condition, not one of them.
        ("SELECT 1 AS n FROM messages WHERE $flag UNION ALL SELECT 1 FROM events", "TRUE"),
        (
            "SELECT 1 AS n FROM rollup_code_hour r JOIN sends s ON $flag WHERE r.messages > 1",
            "TRUE",
        ),
        # An aggregate's select list is computed even when its WHERE keeps no row.
        (
            "SELECT count(*) AS n, (SELECT max(message_at) FROM messages) AS last "
            "FROM rollup_code_hour WHERE $flag",
            "TRUE",
        ),
        (
            "SELECT * FROM rollup_code_hour WHERE NOT $flag AND hour IN "
            "(SELECT message_at FROM messages WHERE $other)",
            "($other AND NOT $flag) IS TRUE",
        ),
        # The filtered messages' table macro is looked into; a condition reading a row is
        # no condition on parameters.
        (
            "SELECT * FROM filtered_messages($since, $until, [], [], [], [], [], [], []) "
            "WHERE $n > 0 AND outcome = $outcome",
            "($n > 0) IS TRUE",
        ),
    ],
)
def test_which_reads_of_the_messages_a_condition_can_leave_out(text, condition):
    assert condition_of(text) == condition
