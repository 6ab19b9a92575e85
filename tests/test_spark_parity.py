"""The same numbers on Spark: every query file, run by the SparkEngine over the store's
tables as Parquet, gives DuckDB's rows, on the sample logs and on the edge cases of
tests/spark_cases.py; report, spikes and the weekly review, whose rates and tests are polars
on the returned counts, are equal whole."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from deliverability.demo import sample_files
from deliverability.ingest import ingest_files
from deliverability.queries.filters import Filters
from deliverability.queries.report import report
from deliverability.queries.review import weekly_review
from deliverability.queries.runner import run
from deliverability.queries.spike_settings import SpikeSettings
from deliverability.queries.spikes import find_spikes
from deliverability.render.review_json import to_json
from deliverability.store import Store
from tests.spark_cases import write_logs
from tests.spark_support import assert_same_rows, export_tables, spark  # noqa: F401

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

DIMS = ("provider", "channel", "code", "category", "outcome", "carrier", "country", "campaign",
        "sender")  # fmt: skip
# Queries of the alert ledger and its runs (alert*.sql), which only the store holds.
STORE_ONLY_PREFIX = "alert"


def _flags(*dims: str) -> dict:
    return {f"by_{d}": d in dims for d in DIMS}


def _stores(tmp: Path) -> dict[str, Path]:
    samples = Store.open(tmp / "samples.duckdb")
    ingest_files(samples, sample_files())
    samples.add_note("code", "twilio:*:30007", "Carrier filtering, see ticket", "ana")
    samples.add_note("week", "2026-W47", "Quiet week", "ana", week="2026-W47")
    samples.close()
    edges = Store.open(tmp / "edges.duckdb")
    ingest_files(edges, write_logs(tmp / "edge_logs"))
    edges.add_note("carrier", "verizon", "Verizon filtering", "bo")
    edges.close()
    return {"samples": tmp / "samples.duckdb", "edges": tmp / "edges.duckdb"}


@pytest.fixture(scope="module")
def engines(tmp_path_factory, spark):  # noqa: F811
    from deliverability.queries.spark_engine import SparkEngine

    tmp = tmp_path_factory.mktemp("parity")
    pairs = {}
    for name, path in _stores(tmp).items():
        store = Store.open(path)
        tables = export_tables(store.con, tmp / f"{name}_parquet")
        pairs[name] = (store, SparkEngine(spark, tables))
    yield pairs
    for store, _ in pairs.values():
        store.close()


def _cases(con) -> dict[str, list[dict]]:
    """Parameters for every query file, from what the store holds."""
    first, last = run(con, "time_range")[0, "first_at"], run(con, "time_range")[0, "last_at"]
    until = datetime.combine(last.date(), datetime.min.time()) + timedelta(days=1)
    week_start = until - timedelta(days=until.weekday() or 7)
    week = f"{week_start.isocalendar().year}-W{week_start.isocalendar().week:02d}"
    whole = Filters()
    window = Filters(since=first.replace(minute=0, second=0, microsecond=0), until=until)
    narrow = window.with_(provider=("twilio",), carrier=("Verizon",))
    zoned = window.with_(zone="Asia/Kolkata")
    any_id = run(con, "messages_in_selection", whole, outcome=None, reveal=True, limit=1)
    spike = run(con, "message_cube", window, grain="day", zone_on_hours=True, **_flags("code"))
    spike = spike.sort("failed", descending=True).head(3)
    spikes = [
        {"period_start": r["period_start"], "provider": r["provider"], "channel": r["channel"],
         "code": r["code"]}
        for r in spike.iter_rows(named=True)
    ]  # fmt: skip
    week_bounds = {"since": week_start, "until": week_start + timedelta(days=7)}
    history = {"baseline_since": week_start - timedelta(days=28), **week_bounds}
    cube = []
    for filters in (whole, window, narrow, zoned):
        params = filters.params()
        for grain, dims in ((None, ()), ("hour", ("code",)), ("day", ("carrier", "campaign")),
                            ("week", ("provider", "sender", "outcome"))):  # fmt: skip
            cube.append({**params, "grain": grain, **_flags(*dims)})
    return {
        "catalog_search": [
            {"text": None, "providers": [], "category": None},
            {"text": "300", "providers": ["twilio"], "category": None},
        ],
        "code_names": [{}],
        "codes_new_in_period": [history],
        "counts_by_week_and_dimension": [
            {"since": week_start - timedelta(days=35), "until": week_bounds["until"]}
        ],  # fmt: skip
        "files_for_period": [week_bounds],
        "filter_options": [{}],
        "has_send_log": [{}],
        "ingest_gaps": [history],
        "ingest_ledger": [{}],
        "ingested_paths": [{}],
        # The latency rollup answers these (by day or week and code, on whole days).
        "latency_quantiles": [
            *cube,
            {**whole.params(), "grain": "day", **_flags("code")},
            {**whole.params(), "grain": "week", **_flags("provider", "outcome")},
        ],
        "message_cube": cube,
        "message_events": [
            {
                "provider": any_id[0, "provider"],
                "message_id": any_id[0, "message_id"],
                "since": None,
                "until": None,
            }
        ],  # fmt: skip
        "messages_count": [
            {**f.params(), "outcome": o} for f in (whole, narrow) for o in (None, "failed")
        ],  # fmt: skip
        "messages_in_selection": [
            {**f.params(), "outcome": o, "reveal": r, "limit": 200}
            for f, o, r in ((whole, None, False), (narrow, "failed", True), (zoned, None, False))
        ],
        "notes_covering": [{"week": week, **week_bounds}],
        "notes_list": [{"scope": None}, {"scope": "code"}],
        "quarantined_rows": [{"ingest_id": None, "limit": 100}],
        "rejections_by_reason": [{"ingest_ids": None}, {"ingest_ids": [1, 2]}],
        "report_coverage_by_provider": [week_bounds],
        "spike_contributors": [
            {**f.params(), "grain": g, "baseline_days": 28, "spikes": spikes}
            for f, g in ((window, "day"), (zoned, "day"))
        ],
        "store_overview": [{}],
        "time_range": [{}],
        "uncatalogued_codes": [
            {**whole.params(), "whole_store": True},
            {**narrow.params(), "whole_store": False},
        ],  # fmt: skip
        "uncatalogued_in_period": [{"since": first, "until": until}],
        "unlisted_carriers": [{}],
        "weeks_in_store": [{}],
    }


QUERY_FILES = sorted(
    p.stem
    for p in (Path(__file__).resolve().parent.parent / "queries" / "sql").glob("*.sql")
    if "CREATE OR REPLACE TEMP MACRO" not in p.read_text(encoding="utf-8")
    and not p.stem.startswith(STORE_ONLY_PREFIX)
)


def test_every_query_file_is_covered(engines):
    store, _ = engines["samples"]
    assert sorted(_cases(store.con)) == QUERY_FILES


@pytest.mark.parametrize("data", ["samples", "edges"])
@pytest.mark.parametrize("query", QUERY_FILES)
def test_every_query_gives_duckdb_s_rows_on_spark(engines, data, query):
    store, spark_engine = engines[data]
    for params in _cases(store.con)[query]:
        duck = run(store.con, query, **params)
        assert_same_rows(duck, spark_engine.run(query, params))


@pytest.mark.parametrize("data", ["samples", "edges"])
def test_report_spikes_and_review_are_the_same(engines, data):
    store, spark_engine = engines[data]
    weeks = run(store.con, "weeks_in_store")
    week_start = weeks.sort("week_start")[-1, "week_start"]
    week = f"{week_start.isocalendar().year}-W{week_start.isocalendar().week:02d}"
    whole = Filters()
    for con_a, con_b in ((store.con, spark_engine),):
        for by in (["carrier"], ["code", "day"], ["country", "week"]):
            assert report(con_a, by, whole).equals(report(con_b, by, whole))
        for grain in ("day", "hour"):
            settings = SpikeSettings(grain=grain)
            found = find_spikes(con_a, whole, settings)
            assert found.equals(find_spikes(con_b, whole, settings))
        assert to_json(weekly_review(con_a, week)) == to_json(weekly_review(con_b, week))


def test_the_edge_cases_have_a_spike_with_contributors(engines):
    """The planted Verizon rise is found on Spark with its carrier as a contributor, so
    the contributors query is compared on rows, not on an empty list."""
    _, spark_engine = engines["edges"]
    spikes = find_spikes(spark_engine, Filters(), SpikeSettings(grain="day"))
    assert not spikes.is_empty()
    values = {c["value"] for c in spikes["top_contributors"].explode().drop_nulls()}
    assert "Verizon" in values
