"""Private numbers and hostile cells: hashed recipients, masked tables, formula-safe CSV."""

from __future__ import annotations

import csv
import io

import duckdb
import pytest

from deliverability.queries import Filters
from deliverability.queries.messages import messages_in_selection
from deliverability.render.output import csv_safe, to_csv
from tests.conftest import cli_json, run_cli, write

SENDS = """message_id,provider,channel,sent_at,recipient,carrier,campaign
p1,azure_acs,sms,2026-11-02T10:00:00Z,+14155552671,Verizon,=HYPERLINK("http://x";"y")
p2,azure_acs,sms,2026-11-02T10:01:00Z,+447700900123,EE,@SUM(A1)
p3,azure_acs,sms,2026-11-02T10:02:00Z,+4915123456789,Telekom,-2+3
"""
EVENTS = """message_id,provider,channel,event_at,status_code,status_text
p1,azure_acs,sms,2026-11-02T10:00:09Z,2000,Delivered
p2,azure_acs,sms,2026-11-02T10:01:09Z,4000,+cmd|' /C calc'!A0
p3,azure_acs,sms,2026-11-02T10:02:09Z,2000,Delivered
"""
SALT = {"DELIVERABILITY_RECIPIENT_SALT": "test-salt-not-secret"}


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+14155552671", "+14155552671"),
        ("-0.5", "-0.5"),
        ("1e-5", "1e-5"),
        ("plain", "plain"),
    ],
)
def test_formula_cells_are_neutralised_numbers_kept(cell, written):
    assert csv_safe(cell) == written


@pytest.mark.slow
def test_cli_csv_export_is_formula_safe(tmp_path):
    db = str(tmp_path / "s.duckdb")
    run_cli("ingest", str(write(tmp_path / "sends.csv", SENDS)), "--db", db)
    run_cli("ingest", str(write(tmp_path / "events.csv", EVENTS)), "--db", db)
    out = run_cli("report", "--db", db, "--by", "campaign", "--format", "csv").stdout
    campaigns = {row["campaign"] for row in csv.DictReader(io.StringIO(out))}
    assert campaigns == {'\'=HYPERLINK("http://x";"y")', "'@SUM(A1)", "'-2+3"}


@pytest.mark.slow
def test_hashed_recipients_leave_no_numbers_and_every_view_works(tmp_path):
    db = tmp_path / "shared.duckdb"
    for name, text in (("sends.csv", SENDS), ("events.csv", EVENTS)):
        run_cli(
            "ingest",
            str(write(tmp_path / name, text)),
            "--db",
            str(db),
            "--hash-recipients",
            env=SALT,
        )
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute(
            "SELECT recipient FROM sends UNION ALL SELECT recipient FROM events "
            "UNION ALL SELECT recipient FROM messages"
        ).fetchall()
        dump = " ".join(str(r[0]) for r in stored)
        for number in ("4155552671", "7700900123", "15123456789"):
            assert number not in dump
        assert all(r[0] is None or r[0].startswith("h:") for r in stored)
        # Countries were taken from the numbers before they were hashed.
        assert sorted(r[0] for r in con.execute("SELECT country FROM messages").fetchall()) == [
            "DE",
            "GB",
            "US",
        ]
        frame = messages_in_selection(con, Filters(), reveal=True)
        assert frame.height == 3 and all(r.startswith("h:") for r in frame["recipient"])
    finally:
        con.close()
    report = cli_json("report", "--db", str(db), "--by", "country")
    assert {r["country"]: r["messages"] for r in report["rows"]} == {"US": 1, "GB": 1, "DE": 1}
    # The same number hashes the same way, so re-sending to it is still one recipient.
    again = write(tmp_path / "again.csv", SENDS.replace("p1,", "p9,"))
    run_cli("ingest", str(again), "--db", str(db), "--hash-recipients", env=SALT)
    con = duckdb.connect(str(db), read_only=True)
    try:
        hashes = con.execute(
            "SELECT recipient FROM sends WHERE message_id IN ('p1', 'p9')"
        ).fetchall()
    finally:
        con.close()
    assert len({h[0] for h in hashes}) == 1


def test_hashing_without_a_salt_is_refused(tmp_path):
    proc = run_cli(
        "ingest",
        str(write(tmp_path / "s.csv", SENDS)),
        "--db",
        str(tmp_path / "x.duckdb"),
        "--hash-recipients",
        env={"DELIVERABILITY_RECIPIENT_SALT": ""},
        check=False,
    )
    assert proc.returncode == 2 and "DELIVERABILITY_RECIPIENT_SALT" in proc.stderr


def test_masked_by_default_everywhere_a_query_serves_numbers(tmp_path):
    db = tmp_path / "m.duckdb"
    run_cli("ingest", str(write(tmp_path / "sends.csv", SENDS)), "--db", str(db))
    con = duckdb.connect(str(db), read_only=True)
    try:
        masked = messages_in_selection(con, Filters())
    finally:
        con.close()
    assert sorted(masked["recipient"]) == ["••••0123", "••••2671", "••••6789"]
    text = to_csv(masked)
    assert "4155552671" not in text and "••••2671" in text


def test_hashed_store_keeps_no_numbers_in_rejected_rows(tmp_path):
    db = tmp_path / "q.duckdb"
    # A ragged line: it is quarantined as the raw text of the line.
    bad = SENDS + "p4,azure_acs,sms,2026-11-02T10:03:00Z,+13125550199,AT&T,otp,x,y,z\n"
    run_cli(
        "ingest",
        str(write(tmp_path / "bad.csv", bad)),
        "--db",
        str(db),
        "--hash-recipients",
        env=SALT,
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        raw, reason = con.execute("SELECT raw, reason FROM quarantine").fetchone()
    finally:
        con.close()
    assert "3125550199" not in raw and "••••0199" in raw and "2026-11-02T10:03:00Z" in raw
    assert reason


def test_spike_contributors_mask_senders_like_the_messages_table():
    import polars as pl

    from deliverability.queries.privacy import scrub_contributors

    contributors = pl.DataFrame(
        {
            "dimension": ["sender", "sender", "sender", "sender", "carrier"],
            "value": ["912345678", "+14155552671", "72345", "ACME", "Call 4155552671 now"],
            "count": [5, 4, 3, 2, 1],
        }
    )
    assert scrub_contributors(contributors)["value"].to_list() == [
        "••••5678",  # a 9-digit national number: masked, as messages_in_selection.sql masks it
        "••••2671",
        "72345",  # a short code is not a phone number
        "ACME",
        "Call ••••2671 now",
    ]
