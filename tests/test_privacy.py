"""Private numbers and hostile cells: hashed recipients, masked tables, formula-safe CSV."""

from __future__ import annotations

import csv
import io

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliverability.queries import Filters
from deliverability.queries.messages import message_events, messages_in_selection
from deliverability.queries.privacy import (
    mask_sender,
    scrub,
    scrub_contributors,
    scrub_frame,
    scrub_phones,
)
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


# Numbers that leaked before (after %2B, a letter or '_', next to a date, in an id) and the
# forms that were always masked: each with what is shown instead.
LEAKY = [
    ("To=%2B17735557777", "To=••••7777"),
    ("To=%2b17735557777&From=%2B14155551111", "To=••••7777&From=••••1111"),
    ("msisdn14155555555", "msisdn••••5555"),
    ("to_14155555555", "to_••••5555"),
    ("phone4155551111 failed", "phone••••1111 failed"),
    ("msisdn+46701234567", "msisdn••••4567"),
    ("01FC66621XXXXX119Z8PMV1QPQ:+46701234567", "01FC66621XXXXX119Z8PMV1QPQ:••••4567"),
    ("01FC66621XXXXX119Z8PMV1QPQ:46701234567", "01FC66621XXXXX119Z8PMV1QPQ:••••4567"),
    ("batch12:46701234567", "batch12:••••4567"),
    ("call 14155551111 2024-05-06", "call ••••1111 2024-05-06"),
    ("2026-11-02T10:00:09Z 14155551111", "2026-11-02T10:00:09Z ••••1111"),
    ("ref 123456 4155551111", "ref 123456 ••••1111"),
    ("+1 415 555 0123 4155551111", "••••0123 ••••1111"),
    ("call +1 (415) 555-0123 on 2024-05-06", "call ••••0123 on 2024-05-06"),
    ("+44 7700 900123", "••••0123"),
    ("1-800-555-0199", "••••0199"),
    ("tel:+4915123456789", "tel:••••6789"),
    ('{"to":"14155552671","status":"failed"}', '{"to":"••••2671","status":"failed"}'),
    ("<to>+14155552671</to>", "<to>••••2671</to>"),
    (
        "p4,azure_acs,sms,2026-11-02T10:03:00Z,+13125550199,AT&T,otp",
        "p4,azure_acs,sms,2026-11-02T10:03:00Z,••••0199,AT&T,otp",
    ),
]
# What a reviewer needs and is no phone number: left exactly as it is.
KEPT = [
    "2024-05-06",
    "10:00:09",
    "2026-11-02T10:00:09Z",
    "2026-11-02T10:00:09.123456789+00:00",
    "2026-11-02 10:00:09.123456",
    "20261102T100009Z",
    "12:34:56.123456789",
    "short code 72345",
    "code 30007, 1,800 messages",
    "error 21610 after 4000 retries",
    "rate 0.1234567890",
    "+1234",
    "4111 1111",
    "550e8400-e29b-41d4-a716-446655440000",
    "SM1234567890abcdef1234567890abcdef",
    "SMabcdef01234567891234567890",
    "deadbeef4155551111",
    "cafe14155555555",
    "4155551111abc",
    "0x14155551111",
    "12345678901234567890",
    "h:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "01FC66621XXXXX119Z8PMV1QPQ",
    "••••1111",
]


@pytest.mark.parametrize(("text", "shown"), LEAKY)
def test_phone_numbers_are_masked(text, shown):
    assert scrub_phones(text) == shown
    assert scrub_phones(shown) == shown  # masking twice changes nothing


@pytest.mark.parametrize("text", KEPT)
def test_what_is_not_a_phone_number_is_kept(text):
    assert scrub_phones(text) == text


@pytest.mark.parametrize(
    ("sender", "shown"),
    [
        ("+14155552671", "••••2671"),
        ("912345678", "••••5678"),  # a national number too short for free text
        ("72345", "72345"),
        ("ACME", "ACME"),
        ("To=%2B17735557777", "To=••••7777"),
        (None, None),
    ],
)
def test_senders_are_masked_whole(sender, shown):
    assert mask_sender(sender) == shown


def test_a_frame_is_masked_column_by_column_and_nulls_kept():
    frame = pl.DataFrame(
        {
            "message_id": ["b1:+46701234567", "SM1234567890abcdef1234567890abcdef", None],
            "sender": ["912345678", "72345", None],
            "status_text": ["To=%2B17735557777", "Delivered", "Delivered"],
            "count": [1, 2, 3],
        }
    )
    masked = scrub_frame(frame)
    assert masked.to_dict(as_series=False) == {
        "message_id": ["b1:••••4567", "SM1234567890abcdef1234567890abcdef", None],
        "sender": ["••••5678", "72345", None],
        "status_text": ["To=••••7777", "Delivered", "Delivered"],
        "count": [1, 2, 3],
    }
    # Named columns only: the others are left as they are.
    only = scrub_frame(frame, ["status_text"])
    assert only["message_id"].to_list() == frame["message_id"].to_list()
    assert only["status_text"][0] == "To=••••7777"


def test_spike_contributor_lists_in_a_frame_are_masked():
    contributor = pl.Struct(
        {"dimension": pl.String, "value": pl.String, "count": pl.Int64, "excess": pl.Float64}
    )
    frame = pl.DataFrame(
        {
            "code": ["4000", "4001"],
            "top_contributors": [
                [
                    {"dimension": "sender", "value": "912345678", "count": 5, "excess": 4.0},
                    {"dimension": "campaign", "value": "to_14155551111", "count": 5, "excess": 4.0},
                ],
                [],
            ],
        },
        schema={"code": pl.String, "top_contributors": pl.List(contributor)},
    )
    masked = scrub_frame(frame)
    assert masked.schema == frame.schema
    assert [c["value"] for c in masked["top_contributors"][0]] == ["••••5678", "to_••••1111"]
    assert masked["top_contributors"][1].to_list() == []


def test_scrub_masks_whatever_a_renderer_prints():
    document = {
        "totals": {"messages": 3, "first_at": None},
        "rows": pl.DataFrame({"sender": ["+14155552671"], "messages": [3]}),
        "sender": "912345678",
        "contributors": [{"dimension": "sender", "value": "912345678"}],
        "texts": ("call 4155552671",),
    }
    masked = scrub(document)
    assert masked["totals"] == {"messages": 3, "first_at": None}
    assert masked["rows"]["sender"].to_list() == ["••••2671"]
    assert masked["sender"] == "••••5678"
    assert masked["contributors"] == [{"dimension": "sender", "value": "••••5678"}]
    assert masked["texts"] == ("call ••••2671",)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789 -().+%2Bab_:T\n", max_size=40), min_size=1, max_size=5)
)
def test_a_frame_is_masked_like_each_of_its_texts(texts):
    """The frame path skips, in polars, values that cannot hold a number: it must never
    skip one that scrub_phones (or mask_sender) would change."""
    frame = pl.DataFrame({"status_text": texts, "sender": texts})
    masked = scrub_frame(frame)
    assert masked["status_text"].to_list() == [scrub_phones(t) for t in texts]
    assert masked["sender"].to_list() == [mask_sender(t) for t in texts]


def test_message_ids_are_masked_for_display_and_looked_up_whole(tmp_path):
    """The dashboard shows scrub_frame of the Messages table and looks a picked message's
    events up by its real id: an id that embeds the recipient is masked, and still found."""
    sends = (
        "message_id,provider,channel,sent_at,sender,recipient\n"
        "01FC66621XXXXX119Z8PMV1QPQ:+46701234567,sinch,sms,2026-11-02T10:00:00Z,"
        "+14155550100,+46701234567\n"
    )
    events = (
        "message_id,provider,channel,event_at,status_code,status_text\n"
        "01FC66621XXXXX119Z8PMV1QPQ:+46701234567,sinch,sms,2026-11-02T10:00:09Z,"
        "401,To=%2B46701234567 unreachable\n"
    )
    db = tmp_path / "ids.duckdb"
    run_cli("ingest", str(write(tmp_path / "sends.csv", sends)), "--db", str(db))
    run_cli("ingest", str(write(tmp_path / "events.csv", events)), "--db", str(db))
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = messages_in_selection(con, Filters())
        shown = scrub_frame(frame)
        row = frame.row(0, named=True)
        history = message_events(
            con, row["provider"], row["message_id"], row["message_at"], row["event_count"]
        )
    finally:
        con.close()
    assert row["message_id"] == "01FC66621XXXXX119Z8PMV1QPQ:+46701234567"
    assert shown["message_id"].to_list() == ["01FC66621XXXXX119Z8PMV1QPQ:••••4567"]
    text = to_csv(shown)
    assert "46701234567" not in text and "4155550100" not in text
    assert history.height == 1
    assert scrub_frame(history)["status_text"].to_list() == ["To=••••4567 unreachable"]
