"""The bundled sample logs: reproducible, clean to ingest, and carrying what README plants."""

from __future__ import annotations

import gzip
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from deliverability.demo import load_demo, sample_files
from deliverability.ingest import ingest_file
from deliverability.readers import reader_names
from deliverability.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
GENERATOR = SAMPLES / "generate.py"

READER_OF = {
    "azure_event_grid_delivery_reports.json": "azure_event_grid",
    "azure_monitor_sms_operations.csv": "azure_monitor",
    "chirp_webhooks.ndjson": "chirp_webhook",
    "sfmc_sms_message_tracking.csv": "sfmc_tracking",
    "sinch_batch_delivery_reports.ndjson": "sinch_sms",
    "sinch_mm7_delivery_reports.xml": "sinch_mm7",
    "sinch_recipient_delivery_reports.ndjson": "sinch_sms",
    "sinch_sends.csv": "canonical",
    "telnyx_mdr.csv": "telnyx_mdr",
    "telnyx_message_webhooks.ndjson": "telnyx_webhook",
    "twilio_bulk_export.ndjson.gz": "twilio_bulk_export",
    "twilio_console_message_log.csv": "twilio_console",
    "twilio_sends.csv": "canonical",
    "twilio_status_callbacks.txt": "twilio_callbacks",
    "webex_delivery_receipts.ndjson": "webex_webhook",
    "webex_export_logs_sms.csv": "webex_export",
    "webex_sends.csv": "canonical",
}


def generator_module():
    spec = importlib.util.spec_from_file_location("sample_generator", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("samples") / "store.duckdb")
    results = {path.name: ingest_file(store, path) for path in sample_files(SAMPLES)}
    yield store, results
    store.close()


def scalar(store: Store, sql: str, params: list | None = None):
    return store.con.execute(sql, params or []).fetchone()[0]


def test_generator_is_deterministic(tmp_path):
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in sample_files(SAMPLES)}
    assert set(fresh) == set(committed) == set(READER_OF)
    for name, data in committed.items():
        assert fresh[name] == data, f"{name} differs from a fresh generate.py run"


def test_samples_are_small_and_cover_every_native_format():
    total = sum(p.stat().st_size for p in sample_files(SAMPLES))
    assert total < 6_000_000
    assert set(READER_OF.values()) == set(reader_names())


def test_every_sample_ingests_cleanly(loaded):
    _, results = loaded
    assert set(results) == set(READER_OF)
    for name, result in results.items():
        assert result.ok, (name, result.errors)
        assert result.reader == READER_OF[name], name
        assert result.rows_read > 0, name
        assert result.rows_read == result.loaded + result.duplicates + result.rejected, name
        assert (result.rejected, result.duplicates) == (0, 0), name


def test_store_totals_match_readme(loaded):
    store, _ = loaded
    assert scalar(store, "SELECT count(*) FROM messages") == 10750
    assert scalar(store, "SELECT count(*) FROM events") == 13943
    assert scalar(store, "SELECT count(*) FROM sends") == 10730
    assert scalar(store, "SELECT count(*) FROM quarantine") == 0
    providers = {
        r[0] for r in store.con.execute("SELECT DISTINCT provider FROM messages").fetchall()
    }
    assert providers == {"azure_acs", "sfmc", "sinch", "webex_connect", "telnyx", "chirp", "twilio"}
    first, last = store.con.execute(
        "SELECT min(message_at), max(message_at) FROM messages"
    ).fetchone()
    assert str(first.date()) == "2026-10-05" and str(last.date()) == "2026-11-22"


@pytest.mark.slow
def test_reingest_adds_nothing(loaded, tmp_path):
    store, _ = loaded
    before = [scalar(store, f"SELECT count(*) FROM {t}") for t in ("messages", "events", "sends")]
    for path in sample_files(SAMPLES):
        again = ingest_file(store, path)
        assert again.already_ingested and again.loaded == 0, path.name
        # The same records under another fingerprint: every row is a duplicate.
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        copy = tmp_path / path.name.removesuffix(".gz")
        copy.write_bytes(data + b"\n")
        result = ingest_file(store, copy)
        assert result.ok, result.errors
        assert (result.loaded, result.rejected) == (0, 0), path.name
        assert result.duplicates == result.rows_read > 0, path.name
    after = [scalar(store, f"SELECT count(*) FROM {t}") for t in ("messages", "events", "sends")]
    assert after == before


def test_planted_spike_twilio_30007_at_t_mobile(loaded):
    store, _ = loaded
    per_day = dict(
        store.con.execute(
            """
            SELECT CAST(message_at AS DATE)::VARCHAR, count(*) FROM messages
            WHERE provider = 'twilio' AND code = '30007' AND carrier = 'T-Mobile'
            GROUP BY 1
            """
        ).fetchall()
    )
    spike = per_day.pop("2026-11-18")
    assert spike == 73
    assert sum(per_day.values()) == 3 and max(per_day.values()) <= 1
    assert spike >= 20 * max(1, *per_day.values())
    window = store.con.execute(
        """
        SELECT count(*) FILTER (WHERE code = '30007'), count(*),
               count(*) FILTER (WHERE code = '30007' AND category = 'carrier_filtered')
        FROM messages
        WHERE provider = 'twilio' AND carrier = 'T-Mobile' AND campaign = 'black_friday_promo'
          AND message_at >= TIMESTAMP '2026-11-18 14:00' AND message_at < TIMESTAMP '2026-11-18 20:00'
        """
    ).fetchone()
    assert window == (73, 174, 73)
    # Other carriers in the same blast are not filtered.
    others = scalar(
        store,
        """
        SELECT count(*) FROM messages WHERE provider = 'twilio' AND code = '30007'
          AND carrier <> 'T-Mobile' AND CAST(message_at AS DATE) = DATE '2026-11-18'
        """,
    )
    assert others == 0


def test_planted_week_over_week_change_sinch_vodafone_uk(loaded):
    store, _ = loaded
    weeks = {
        week: (messages, failed)
        for week, messages, failed in store.con.execute(
            """
            SELECT strftime(message_at, '%G-W%V'), count(*),
                   count(*) FILTER (WHERE outcome = 'failed')
            FROM messages WHERE provider = 'sinch' AND carrier = 'Vodafone' AND country = 'GB'
            GROUP BY 1
            """
        ).fetchall()
    }
    assert weeks == {
        "2026-W41": (67, 3), "2026-W42": (92, 4), "2026-W43": (76, 3), "2026-W44": (80, 3),
        "2026-W45": (80, 3), "2026-W46": (99, 7), "2026-W47": (96, 17),
    }  # fmt: skip
    rate = {w: failed / messages for w, (messages, failed) in weeks.items()}
    assert rate["2026-W47"] >= 2 * rate["2026-W46"]
    assert rate["2026-W47"] >= 3.5 * max(r for w, r in rate.items() if w < "2026-W46")


def test_uncatalogued_codes_are_kept(loaded):
    store, _ = loaded
    found = dict(
        store.con.execute(
            """
            SELECT provider || ':' || code, count(*) FROM messages
            WHERE category = 'uncatalogued' GROUP BY 1
            """
        ).fetchall()
    )
    assert found == {
        "twilio:30450": 7, "sinch:61": 5, "azure_acs:4021": 2, "telnyx:40060": 2,
        "sfmc:4599": 1, "webex_connect:7599": 1,
    }  # fmt: skip
    # Chirp's own code is unknown to the catalog, its Telnyx code is not.
    assert store.con.execute(
        "SELECT DISTINCT outcome, category FROM messages WHERE code = 'carrier_timeout'"
    ).fetchall() == [("failed", "unreachable")]


def test_a_realistic_mix(loaded):
    store, _ = loaded
    outcomes = dict(
        store.con.execute("SELECT outcome, count(*) FROM messages GROUP BY 1").fetchall()
    )
    total = sum(outcomes.values())
    assert 0.90 < outcomes["delivered"] / total < 0.97
    assert 0.03 < outcomes["failed"] / total < 0.08
    assert outcomes["no_report"] > 0 and outcomes["pending"] > 0 and outcomes["unknown"] > 0
    categories = {
        r[0] for r in store.con.execute("SELECT DISTINCT category FROM messages").fetchall()
    }
    assert {"invalid_number", "unreachable", "carrier_filtered", "opted_out"} <= categories
    countries = {
        r[0] for r in store.con.execute("SELECT DISTINCT country FROM messages").fetchall()
    }
    assert countries == {"US", "CA", "GB", "DE", "AU", "IN"}
    # Weekdays carry more traffic than weekends; nights are quiet in local time.
    weekday, weekend = store.con.execute(
        """
        SELECT count(*) FILTER (WHERE isodow(message_at) <= 5) / 5,
               count(*) FILTER (WHERE isodow(message_at) > 5) / 2
        FROM messages
        """
    ).fetchone()
    assert weekday > 1.3 * weekend
    night, day = store.con.execute(
        """
        SELECT count(*) FILTER (WHERE hour(message_at) BETWEEN 7 AND 10),
               count(*) FILTER (WHERE hour(message_at) BETWEEN 17 AND 20)
        FROM messages WHERE country = 'US'
        """
    ).fetchone()
    assert day > 5 * night
    # Late interim reports: an interim event stamped after the message's final one.
    late = scalar(
        store,
        """
        SELECT count(*) FROM events e JOIN messages m USING (provider, message_id)
        WHERE e.event_at > m.final_at AND m.outcome IN ('delivered', 'failed')
        """,
    )
    assert late > 10


@pytest.mark.slow
def test_scale_makes_bigger_sets(tmp_path):
    small = generator_module().generate(tmp_path / "half", scale=0.5)
    assert sum(small["files"].values()) < 0.7 * sum(p.stat().st_size for p in sample_files(SAMPLES))
    store = Store.open(tmp_path / "half.duckdb")
    try:
        for path in sample_files(tmp_path / "half"):
            result = ingest_file(store, path)
            assert result.ok and result.rejected == 0, (path.name, result.errors)
    finally:
        store.close()


def test_demo_loads_every_sample(tmp_path):
    path = tmp_path / "demo.duckdb"
    load_demo(path)
    store = Store.open(path)
    try:
        assert scalar(store, "SELECT count(*) FROM ingests") == len(READER_OF)
        assert scalar(store, "SELECT count(*) FROM messages") == 10750
    finally:
        store.close()


@pytest.mark.parametrize("carrier", ["Vodafone", "Vi"])
def test_review_flags_a_rise_only_the_baseline_shows(loaded, carrier):
    """Vodafone (the planted rise over W46 and W47) and Vi (India, few messages): W47's
    failure rate does not differ significantly from W46's, but against the four weeks
    before it, it does: worse, flagged by the baseline."""
    from deliverability.queries.review import weekly_review

    store, _ = loaded
    review = weekly_review(store.con, "2026-W47")
    carriers = {r["carrier"]: r for r in review.worse["carrier"].iter_rows(named=True)}
    assert carriers[carrier]["flagged_by"] == "baseline"
    assert carriers[carrier]["q_value"] > 0.05 >= carriers[carrier]["q_value_baseline"]
    assert carriers["T-Mobile"]["flagged_by"] == "both"  # the planted 30007 spike
