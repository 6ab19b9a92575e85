"""Odd input a hostile or careless user brings: zones, whitespace, typed values, one bad
record among good ones, overlong lines, late Latin-1, wrong hints, a file read again with
other options, and Ctrl-C. Each case on a real store; what loads is counted exactly."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import time
from datetime import datetime

import duckdb
import pytest

from deliverability.ingest import ingest_file
from deliverability.readers.base import ReadOptions
from tests.conftest import CLI, cli_json, ingest, run_cli, write

HEADER = "message_id,provider,channel,event_at,status_code\n"


def rows(store, sql: str) -> list[tuple]:
    return store.con.execute(sql).fetchall()


def reasons(store) -> dict[int, str]:
    return dict(rows(store, "SELECT line, reason FROM quarantine"))


def test_named_zones_are_honoured_and_distinct_events_kept(store, tmp_path):
    # The same code for one message at 09:00 in three zones: three events, not duplicates.
    path = write(
        tmp_path / "zones.csv",
        HEADER
        + "m1,azure_acs,sms,2026-11-18 09:00:00 EST,4001\n"
        + "m1,azure_acs,sms,2026-11-18 09:00:00 America/Los_Angeles,4001\n"
        + "m1,azure_acs,sms,2026-11-18 09:00:00 GMT+2,4001\n"
        + "m1,azure_acs,sms,2026-11-18 09:00:00 XYZ,4001\n",
    )
    result = ingest(store, path)
    assert (result.rows_read, result.loaded, result.duplicates, result.rejected) == (4, 3, 0, 1)
    assert [r[0] for r in rows(store, "SELECT event_at FROM events ORDER BY 1")] == [
        datetime(2026, 11, 18, 7, 0),
        datetime(2026, 11, 18, 14, 0),
        datetime(2026, 11, 18, 17, 0),
    ]
    assert reasons(store) == {5: "unknown time zone XYZ in event_at 2026-11-18 09:00:00 XYZ"}


def test_a_date_alone_is_read_in_the_files_zone(store, tmp_path):
    path = write(tmp_path / "d.csv", HEADER + "m1,azure_acs,sms,2026-11-18,4001\n")
    ingest(store, path, timezone="America/New_York")
    assert rows(store, "SELECT event_at FROM events") == [(datetime(2026, 11, 18, 5, 0),)]


def test_unicode_whitespace_is_trimmed_and_alone_is_missing(store, tmp_path):
    path = write(
        tmp_path / "ws.csv",
        HEADER
        + "m1,azure_acs,sms,2026-11-18T09:00:00Z,4001\n"
        + "m1\t,azure_acs,sms,2026-11-18T09:00:01Z,4001\u00a0\n"
        + "\u3000m1,azure_acs,sms,2026-11-18T09:00:02Z,\t4001\n"
        + "\t,azure_acs,sms,2026-11-18T09:00:03Z,4001\n",
    )
    result = ingest(store, path)
    assert (result.loaded, result.rejected) == (3, 1)
    assert rows(store, "SELECT DISTINCT message_id, status_code FROM events") == [("m1", "4001")]
    assert rows(store, "SELECT count(*) FROM messages") == [(1,)]
    assert reasons(store) == {5: "missing message_id"}


def test_a_combined_row_with_an_empty_event_at_keeps_its_send(store, tmp_path):
    path = write(
        tmp_path / "combined.csv",
        "message_id,provider,channel,sent_at,event_at,status_code\n"
        "m1,azure_acs,sms,2026-11-18T09:00:00Z,,4001\n",
    )
    result = ingest(store, path)
    assert (result.loaded, result.rejected) == (1, 0)
    assert rows(store, "SELECT sent_at FROM sends") == [(datetime(2026, 11, 18, 9, 0),)]
    assert rows(store, "SELECT event_at, status_code FROM events") == [
        (datetime(2026, 11, 18, 9, 0), "4001")
    ]


def test_negative_or_fractional_segments_are_rejected(store, tmp_path):
    path = write(
        tmp_path / "seg.csv",
        "message_id,provider,channel,sent_at,segments\n"
        "m1,azure_acs,sms,2026-11-18T09:00:00Z,2\n"
        "m2,azure_acs,sms,2026-11-18T09:00:00Z,2.0\n"
        "m3,azure_acs,sms,2026-11-18T09:00:00Z,-1\n"
        "m4,azure_acs,sms,2026-11-18T09:00:00Z,1.5\n",
    )
    result = ingest(store, path)
    assert (result.loaded, result.rejected) == (2, 2)
    assert rows(store, "SELECT message_id, segments FROM sends ORDER BY 1") == [
        ("m1", 2),
        ("m2", 2),
    ]
    assert reasons(store) == {
        4: "segments is negative: -1",
        5: "segments is not a whole number: 1.5",
    }


def test_parquet_lists_structs_and_booleans_are_rejected(store, tmp_path):
    path = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT * FROM (VALUES
                ('m1', ['x'], {{'a': 1}}, true, 'azure_acs', '2026-11-18T09:00:00Z', '4001'),
                ('m2', NULL, NULL, NULL, 'azure_acs', '2026-11-18T09:00:00Z', '4001')
            ) t(message_id, carrier, campaign, segments, provider, event_at, status_code)
        ) TO '{path}' (FORMAT parquet)
        """
    )
    con.close()
    result = ingest(store, path)
    assert (result.rows_read, result.loaded, result.rejected) == (2, 1, 1)
    assert list(reasons(store).values()) == ["carrier is a list, not a value"]
    assert rows(store, "SELECT message_id, carrier, campaign FROM events") == [("m2", None, None)]


def test_canonical_ndjson_one_bad_line_costs_one_line(store, tmp_path):
    good = {"provider": "azure_acs", "channel": "sms", "event_at": "2026-11-18T09:00:00Z"}
    lines = [json.dumps({**good, "message_id": f"m{i}", "status_code": "4001"}) for i in range(6)]
    lines[3] = '{"message_id": "m3", "provider": '
    result = ingest(store, write(tmp_path / "e.ndjson", "\n".join(lines) + "\n"))
    assert (result.rows_read, result.loaded, result.rejected) == (6, 5, 1)
    assert reasons(store) == {4: "malformed line: not valid JSON"}


def test_a_json_array_followed_by_garbage_loads_the_array(store, tmp_path):
    records = [
        {"message_id": f"m{i}", "provider": "azure_acs", "channel": "sms",
         "event_at": "2026-11-18T09:00:00Z", "status_code": "4001"}
        for i in range(5)
    ]  # fmt: skip
    text = json.dumps(records, indent=1) + "\nthis is not JSON\n"
    result = ingest(store, write(tmp_path / "a.json", text))
    assert (result.rows_read, result.loaded, result.rejected) == (6, 5, 1)
    line = text[: text.index("this is")].count("\n") + 1
    (raw, reason), = rows(store, "SELECT raw, reason FROM quarantine")  # fmt: skip
    assert raw == "this is not JSON"
    assert reason == f"malformed record: text after the JSON array (line {line} of the file)"


def test_a_broken_json_array_names_the_line_where_it_breaks(store, tmp_path):
    text = '[\n{"message_id": "m1", "provider": "azure_acs"},\n{"message_id": oops}\n]\n'
    result = ingest(store, write(tmp_path / "b.json", text))
    assert result.errors and "\n" not in result.errors[0]
    assert str(tmp_path / "b.json") in result.errors[0]
    assert rows(store, "SELECT count(*) FROM ingests") == [(0,)]


@pytest.mark.parametrize("where", [1, 500])
def test_an_overlong_line_is_quarantined_alone_wherever_it_is(store, tmp_path, where):
    lines = [f"m{i},azure_acs,sms,2026-11-18T09:00:00Z,4001" for i in range(1000)]
    lines[where - 1] = "big,azure_acs,sms,2026-11-18T09:00:00Z," + "x" * (3 * 1024 * 1024)
    result = ingest(store, write(tmp_path / "long.csv", HEADER + "\n".join(lines) + "\n"))
    assert (result.rows_read, result.loaded, result.rejected) == (1000, 999, 1)
    ((line, reason),) = rows(store, "SELECT line, reason FROM quarantine")
    assert line == where + 1 and "Maximum line size" in reason


def test_latin1_after_the_first_64_kib_loads_intact(store, tmp_path):
    body = "".join(f"m{i},azure_acs,sms,2026-11-18T09:00:00Z,2000\n" for i in range(3000))
    path = tmp_path / "late.csv"
    path.write_bytes(
        (HEADER.replace("status_code", "status_code,status_text").replace("\n", "") + "\n").encode()
        + body.replace("2000\n", "2000,ok\n").encode()
        + "m9999,azure_acs,sms,2026-11-18T09:00:00Z,4001,Refusé par l'opérateur\n".encode("latin-1")
    )
    assert path.stat().st_size > 64 * 1024
    result = ingest(store, path)
    assert (result.rows_read, result.loaded, result.rejected) == (3001, 3001, 0)
    assert rows(store, "SELECT status_text FROM events WHERE message_id = 'm9999'") == [
        ("Refusé par l'opérateur",)
    ]


def test_a_wrong_format_hint_is_an_error_and_records_nothing(db_path, tmp_path):
    path = write(tmp_path / "e.csv", HEADER + "m1,azure_acs,sms,2026-11-18T09:00:00Z,4001\n")
    proc = run_cli(
        "ingest", "--db", str(db_path), "--format-hint", "sinch_mm7", str(path), check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"{path}: --format-hint sinch_mm7 does not fit this file: nothing loaded "
        "(it reads as canonical; drop the hint)"
    )
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)
    con.close()


def test_a_right_hint_on_a_file_with_no_rows_today_is_no_error(db_path, tmp_path):
    path = write(tmp_path / "empty-day.csv", HEADER)
    out = cli_json("ingest", "--db", str(db_path), "--format-hint", "canonical", str(path))
    assert out["files"][0]["errors"] == [] and out["totals"]["rows_read"] == 0


def test_a_wrong_hint_that_rejects_every_row_is_an_error(db_path, tmp_path):
    # Sinch's JSON read as Twilio's bulk export: every record is rejected.
    sinch = write(
        tmp_path / "sinch.json",
        '{"type": "recipient_delivery_report_sms", "batch_id": "B1", "recipient": "123456789",'
        ' "code": 0, "status": "Delivered", "at": "2026-11-18T09:00:00Z"}\n',
    )
    proc = run_cli(
        "ingest", "--db", str(db_path), "--format-hint", "twilio_bulk_export", str(sinch),
        check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "--format-hint twilio_bulk_export does not fit this file" in proc.stderr
    assert "(it reads as sinch_sms; drop the hint)" in proc.stderr


def test_a_file_ingested_again_with_other_options_replaces_its_rows(store, tmp_path):
    path = write(
        tmp_path / "naive.csv",
        "message_id,provider,channel,sent_at,event_at,status_code\n"
        "m1,azure_acs,sms,2026-11-18 09:00:00,2026-11-18 09:00:05,2000\n"
        "m2,azure_acs,sms,2026-11-18 10:00:00,2026-11-18 10:00:05,4001\n"
        "m3,azure_acs,sms,2026-11-18 11:00:00,bad time,4001\n",
    )
    first = ingest(store, path)
    assert (first.loaded, first.rejected, first.replaced) == (2, 1, [])
    again = ingest(store, path, timezone="America/New_York")
    assert (again.loaded, again.duplicates, again.replaced) == (2, 0, [1])
    assert rows(store, "SELECT message_id, sent_at FROM sends ORDER BY 1") == [
        ("m1", datetime(2026, 11, 18, 14, 0)),
        ("m2", datetime(2026, 11, 18, 15, 0)),
    ]
    assert rows(store, "SELECT count(*), min(event_at) FROM events") == [
        (2, datetime(2026, 11, 18, 14, 0, 5))
    ]
    assert rows(store, "SELECT count(*), min(message_at) FROM messages") == [
        (2, datetime(2026, 11, 18, 14, 0))
    ]
    # The rollups hold the new hours only; the quarantine holds the new reading's rejects.
    assert rows(
        store, "SELECT hour, sum(messages) FROM rollup_code_hour GROUP BY 1 ORDER BY 1"
    ) == [
        (datetime(2026, 11, 18, 14, 0), 1),
        (datetime(2026, 11, 18, 15, 0), 1),
    ]
    assert rows(
        store, "SELECT day, latency_ms, sum(messages) FROM rollup_latency_day GROUP BY ALL"
    ) == [(datetime(2026, 11, 18), 5000, 2)]
    assert rows(store, "SELECT ingest_id, line FROM quarantine") == [(2, 4)]
    # The code keys per day and the uncatalogued copies follow the events.
    assert rows(
        store, "SELECT day, status_code, sum(events) FROM event_code_days GROUP BY ALL ORDER BY 2"
    ) == [
        (datetime(2026, 11, 18), "2000", 1),
        (datetime(2026, 11, 18), "4001", 1),
    ]
    # The ledger says which ingest replaced which; the same options again change nothing.
    assert rows(store, "SELECT ingest_id, replaced_by FROM ingests ORDER BY 1") == [
        (1, 2),
        (2, None),
    ]
    same = ingest(store, path, timezone="America/New_York")
    assert (same.already_ingested, same.loaded) == (True, 0)
    back = ingest(store, path)
    assert back.replaced == [2]
    assert rows(store, "SELECT min(sent_at) FROM sends") == [(datetime(2026, 11, 18, 9, 0),)]


def test_replacing_moves_an_uncatalogued_event_with_its_day(store, tmp_path):
    path = write(tmp_path / "u.csv", HEADER + "m1,azure_acs,sms,2026-11-18 22:00:00,7777\n")
    ingest(store, path)
    ingest(store, path, timezone="America/Los_Angeles")
    assert rows(store, "SELECT event_at FROM uncatalogued_events") == [
        (datetime(2026, 11, 19, 6, 0),)
    ]
    assert rows(store, "SELECT day, events FROM event_code_days") == [(datetime(2026, 11, 19), 1)]


def test_reading_another_part_of_a_file_replaces_nothing(store, tmp_path):
    path = write(
        tmp_path / "combined.csv",
        "message_id,provider,channel,sent_at,event_at,status_code\n"
        "m1,azure_acs,sms,2026-11-18T09:00:00Z,2026-11-18T09:00:05Z,4001\n",
    )
    ingest(store, path, kind="sends")
    events = ingest(store, path, kind="events")
    assert events.replaced == []
    assert rows(store, "SELECT count(*) FROM sends") == [(1,)]
    assert rows(store, "SELECT count(*) FROM events") == [(1,)]
    # Read whole, with another zone, it replaces both partial readings.
    whole = ingest(store, path, kind="auto", timezone="Europe/Paris")
    assert whole.replaced == [1, 2]


def test_replacing_a_file_keeps_what_other_files_say_of_its_messages(store, tmp_path):
    sends = write(
        tmp_path / "sends.csv",
        "message_id,provider,channel,sent_at\nm1,azure_acs,sms,2026-11-18T09:00:00Z\n",
    )
    events = write(tmp_path / "events.csv", HEADER + "m1,azure_acs,sms,2026-11-18 09:00:05,4001\n")
    ingest(store, sends)
    ingest(store, events)
    ingest(store, events, timezone="Europe/Paris")
    assert rows(store, "SELECT has_send, outcome, final_at FROM messages") == [
        (True, "failed", datetime(2026, 11, 18, 8, 0, 5))
    ]


def test_a_directory_among_the_files_does_not_stop_the_batch(db_path, tmp_path):
    first = write(tmp_path / "a.csv", HEADER + "m1,azure_acs,sms,2026-11-18T09:00:00Z,4001\n")
    (tmp_path / "empty_dir").mkdir()
    last = write(tmp_path / "b.csv", HEADER + "m2,azure_acs,sms,2026-11-18T09:00:00Z,4001\n")
    out = cli_json(
        "ingest", "--db", str(db_path), str(first), str(tmp_path / "empty_dir"), str(last)
    )
    assert out["totals"]["loaded"] == 2


@pytest.mark.slow
def test_ctrl_c_names_the_file_and_leaves_the_store_as_before(db_path, tmp_path):
    small = write(tmp_path / "a.csv", HEADER + "m1,azure_acs,sms,2026-11-18T09:00:00Z,4001\n")
    big = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'b' || i AS message_id, 'azure_acs' AS provider, 'sms' AS channel,
                  '2026-11-18 09:00:00' AS event_at, '4001' AS status_code
                  FROM range(4000000) t(i)) TO '{big}' (HEADER)"""
    )
    con.close()
    proc = subprocess.Popen(
        [str(CLI), "ingest", "--db", str(db_path), str(small), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The small file takes well under a second; the big one many.
    time.sleep(4.0)
    assert proc.poll() is None, "the ingest ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"deliverability: interrupted while ingesting {big}: nothing of that file was stored "
        "(the store is as it was before it; files before it in the batch are in)"
    )
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM messages").fetchone() == (1,)
    assert con.execute("SELECT file_name FROM ingests").fetchall() == [("a.csv",)]
    con.close()


def test_options_in_the_api_too(store, tmp_path):
    # The library call the dashboard's upload uses takes the same options.
    path = write(tmp_path / "d.csv", HEADER + "m1,azure_acs,sms,2026-11-18 09:00:00,4001\n")
    result = ingest_file(store, path, ReadOptions(timezone="Asia/Kolkata"))
    assert result.ok
    assert rows(store, "SELECT event_at FROM events") == [(datetime(2026, 11, 18, 3, 30),)]


def test_one_stray_byte_in_a_utf8_file_costs_its_line_only(store, tmp_path):
    # UTF-8 text (é) and, later, a byte that is not UTF-8: the file stays UTF-8 (read as
    # Latin-1 every é would become Ã©); the line with the stray byte is rejected.
    body = "".join(f"m{i},azure_acs,sms,2026-11-18T09:00:00Z,4001,Refusé\n" for i in range(3000))
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"message_id,provider,channel,event_at,status_code,status_text\n"
        + body.encode()
        + b"m9999,azure_acs,sms,2026-11-18T09:00:00Z,4001,Refus\xe9\n"
    )
    result = ingest(store, path)
    assert (result.rows_read, result.loaded, result.rejected) == (3001, 3000, 1)
    assert rows(store, "SELECT DISTINCT status_text FROM events") == [("Refusé",)]


def test_canonical_ndjson_with_a_broken_first_line(store, tmp_path):
    good = {"provider": "azure_acs", "channel": "sms", "event_at": "2026-11-18T09:00:00Z"}
    lines = [json.dumps({**good, "message_id": f"m{i}", "status_code": "4001"}) for i in range(4)]
    lines[0] = '{"message_id": "m0", "provider": '
    result = ingest(store, write(tmp_path / "first.ndjson", "\n".join(lines) + "\n"))
    assert (result.reader, result.rows_read, result.loaded, result.rejected) == (
        "canonical", 4, 3, 1,
    )  # fmt: skip
    assert reasons(store) == {1: "malformed line: not valid JSON"}


def test_a_gzipped_json_array_followed_by_garbage_loads_the_array(store, tmp_path):
    records = [
        {"message_id": f"m{i}", "provider": "azure_acs", "channel": "sms",
         "event_at": "2026-11-18T09:00:00Z", "status_code": "4001"}
        for i in range(3)
    ]  # fmt: skip
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress((json.dumps(records) + "\n]]} trailing\n").encode()))
    result = ingest(store, path)
    assert (result.rows_read, result.loaded, result.rejected) == (4, 3, 1)
    assert rows(store, "SELECT raw FROM quarantine") == [("]]} trailing",)]
