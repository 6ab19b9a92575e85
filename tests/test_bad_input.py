"""Broken files: a clear message naming the file (and line), accounting that always holds,
and a failed file leaving the store exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliverability.ingest import ingest_file
from deliverability.readers.base import ReadOptions
from deliverability.store import Store
from tests.conftest import run_cli

CORPUS = Path(__file__).resolve().parent / "corpus"
TABLES = ("sends", "events", "messages", "quarantine", "ingests")


def snapshot(store: Store) -> dict:
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def assert_accounted(result) -> None:
    assert result.rows_read == result.loaded + result.duplicates + result.rejected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.csv.gz", "truncated gzip file"),
        ("empty.csv", "the file is empty"),
        ("garbage.bin", "unrecognised format; name its columns with --map"),
        ("bomb.csv.gz", "refusing a possible gzip bomb"),
    ],
)
def test_unusable_files_fail_cleanly(store, monkeypatch, name, message):
    monkeypatch.setenv("DELIVERABILITY_MAX_DECOMPRESSED_MB", "32")
    before = snapshot(store)
    result = ingest_file(store, CORPUS / name)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert str(CORPUS / name) in error and message in error and "\n" not in error
    assert (result.rows_read, result.loaded, result.rejected) == (0, 0, 0)
    assert snapshot(store) == before


def test_an_uploaded_file_is_named_as_the_user_knows_it(store):
    # The upload page ingests a temporary copy; its errors must name the uploaded file.
    result = ingest_file(store, CORPUS / "garbage.bin", display_name="carrier export.bin")
    assert len(result.errors) == 1
    assert result.errors[0].startswith("carrier export.bin: unrecognised format")
    assert str(CORPUS) not in result.errors[0]


@pytest.mark.parametrize(
    ("name", "loaded", "rejected", "texts"),
    [
        ("latin1.csv", 1, 0, {"Délivré"}),
        ("utf16.csv", 2, 0, {"Zugestellt", "Betrug"}),
        ("bom_crlf.csv", 3, 0, {"Delivered"}),
        (
            "embedded_newlines.csv",
            2,
            0,
            {"first line\nsecond line, with a comma", 'a "quoted" word; and | pipes'},
        ),
        ("long_field.csv", 1, 0, {"x" * 100_000}),
        ("header_only.csv", 0, 0, set()),
    ],
)
def test_awkward_but_valid_files_load(store, name, loaded, rejected, texts):
    result = ingest_file(store, CORPUS / name)
    assert result.ok, result.errors
    assert_accounted(result)
    assert (result.loaded, result.rejected) == (loaded, rejected)
    stored = {r[0] for r in store.con.execute("SELECT status_text FROM events").fetchall()}
    assert texts <= stored


def test_latin1_carrier_names_survive(store):
    ingest_file(store, CORPUS / "latin1.csv")
    carrier = store.con.execute("SELECT carrier FROM messages").fetchone()[0]
    assert carrier == "Société Générale Télécom"


def test_ragged_rows_are_quarantined_with_their_lines(store):
    result = ingest_file(store, CORPUS / "ragged.csv")
    assert_accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (4, 2, 2)
    rows = store.con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert [line for line, _ in rows] == [3, 4]
    assert all(reason.startswith("malformed line:") for _, reason in rows)
    assert {r[0] for r in store.con.execute("SELECT message_id FROM events").fetchall()} == {
        "m1",
        "m4",
    }


def test_rows_rejected_after_ragged_lines_keep_their_own_lines(store, tmp_path):
    # DuckDB's CSV reader drops lines it cannot split; the rows after them are numbered by
    # position and moved down by the dropped lines before them.
    path = tmp_path / "mixed.csv"
    path.write_text(
        "message_id,provider,channel,event_at,status_code,status_text\n"  # line 1
        "m1,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered\n"  # 2: loaded
        "m2,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered,surplus\n"  # 3: ragged
        "m3,azure_acs,sms,not-a-time,2000,Delivered\n"  # 4: unparseable
        "m4,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered\n"  # 5: loaded
        "m5,azure_acs,sms\n"  # 6: ragged
        "m6,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered,x,y\n"  # 7: ragged
        ",azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered\n"  # 8: no message_id
        "m8,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered\n",  # 9: loaded
        encoding="utf-8",
    )
    result = ingest_file(store, path)
    assert_accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (8, 3, 5)
    rows = store.con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert [line for line, _ in rows] == [3, 4, 6, 7, 8]
    assert rows[1][1] == "unparseable event_at not-a-time"
    assert rows[4][1] == "missing message_id"
    assert [reason.startswith("malformed line:") for _, reason in rows] == [
        True, False, True, True, False,
    ]  # fmt: skip


def test_a_long_malformed_line_is_kept_to_4000_characters(store, tmp_path):
    # Quarantine keeps the start of a line DuckDB could not split, like a native reader's.
    path = tmp_path / "long.csv"
    long_text = "x" * 6000
    path.write_text(
        "message_id,provider,channel,event_at,status_code,status_text\n"
        "m1,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered\n"
        f"m2,azure_acs,sms,2024-03-04T10:00:00Z,2000,{long_text},surplus\n",
        encoding="utf-8",
    )
    result = ingest_file(store, path)
    assert_accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (2, 1, 1)
    line, raw, reason = store.con.execute("SELECT line, raw, reason FROM quarantine").fetchone()
    assert (line, len(raw), reason.startswith("malformed line:")) == (3, 4000, True)
    assert raw.startswith("m2,azure_acs,sms,")


def test_json_with_wrong_types(store):
    result = ingest_file(store, CORPUS / "wrong_types.ndjson")
    assert_accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (5, 1, 4)
    reasons = dict(store.con.execute("SELECT line, reason FROM quarantine").fetchall())
    # A list, a record or true/false is not a value: never loaded as its printed form.
    assert reasons == {
        2: "carrier is a list, not a value",
        3: "event_at is true/false, not a value",
        4: "event_at is a record, not a value",
        5: "missing message_id",
    }
    # a number where text was expected is read as its text
    events = dict(store.con.execute("SELECT message_id, event_at FROM events").fetchall())
    assert str(events["1"]) == "2024-03-04 10:00:00"


def test_timestamp_formats_epoch_zero_and_far_future(store):
    result = ingest_file(store, CORPUS / "timestamp_formats.csv")
    assert_accounted(result)
    assert (result.loaded, result.rejected) == (8, 3)
    times = {str(r[0]) for r in store.con.execute("SELECT event_at FROM events").fetchall()}
    assert times == {"2024-03-04 10:00:00"}  # eight formats, one instant
    reasons = store.con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert reasons == [
        (10, "implausible event_at 1970-01-01T00:00:00Z (before 2000 or over 2 years ahead)"),
        (11, "implausible event_at 9999-12-31T23:59:59Z (before 2000 or over 2 years ahead)"),
        (12, "unparseable event_at yesterday-ish"),
    ]


def test_upload_size_limit(store, tmp_path, monkeypatch):
    monkeypatch.setenv("DELIVERABILITY_MAX_UPLOAD_MB", "0")
    result = ingest_file(store, CORPUS / "bom_crlf.csv")
    assert "over the upload limit" in result.errors[0] and "bom_crlf.csv" in result.errors[0]


def test_cli_names_file_for_broken_input(tmp_path):
    proc = run_cli(
        "ingest", str(CORPUS / "truncated.csv.gz"), "--db", str(tmp_path / "s.duckdb"), check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(str(CORPUS / "truncated.csv.gz"))


# -- property-based: whatever the bytes, no unhandled exception and the identity holds --------

HEADERS = st.sampled_from(
    [
        "message_id,provider,channel,event_at,status_code,status_text,carrier",
        "message_id,provider,sent_at,recipient,segments",
        "MESSAGE_ID;Provider;Event_At;Status_Code",
        "message_id\tprovider\tsent_at\tstatus_code",
    ]
)
CELL = st.one_of(
    st.sampled_from(
        [
            "m1",
            "m2",
            "azure_acs",
            "twilio",
            "2000",
            "30007",
            "",
            "2024-03-04T10:00:00Z",
            "1709546400",
            "not a time",
            "+14155552671",
            "=1+1",
            '"',
            "a,b",
            "\r",
        ]
    ),
    st.text(max_size=12),
)


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=HEADERS,
    rows=st.lists(st.lists(CELL, min_size=1, max_size=8), max_size=12),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_any_csv_is_accounted_for(tmp_path_factory, header, rows, sep):
    directory = tmp_path_factory.mktemp("prop")
    path = directory / "input.csv"
    path.write_text(header + "\n" + "\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")
    store = Store.open(directory / "s.duckdb")
    try:
        before = snapshot(store)
        result = ingest_file(store, path, ReadOptions())
        assert_accounted(result)
        if result.errors:
            assert len(result.errors) == 1 and str(path) in result.errors[0]
            assert snapshot(store) == before
        else:
            stored = store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
            assert stored == result.rejected
    finally:
        store.close()


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2048))
def test_any_bytes_never_crash(tmp_path_factory, data):
    directory = tmp_path_factory.mktemp("bytes")
    path = directory / "blob"
    path.write_bytes(data)
    store = Store.open(directory / "s.duckdb")
    try:
        result = ingest_file(store, path)
        assert_accounted(result)
        assert all(str(path) in e for e in result.errors)
    finally:
        store.close()
