"""Private numbers in the terminal: every command masks phone numbers by default, as the
dashboard does, and shows them in full with --reveal. One real store, built once through
the CLI from a log with +14155551111 planted as a sender, in a campaign, in status texts,
in message ids (Sinch's batch_id:recipient) and in a rejected line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import run_cli, write
from tests.test_catalog import HEADER

PLANTED = "4155551111"
NUMBER = "+1" + PLANTED
MASKED = "••••1111"
FIRST_DAY = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 10
PER_HOUR = 6
# The spike: the last day's noon, 30 messages from the planted sender, all failing on 4000.
SPIKE_AT = FIRST_DAY + timedelta(days=DAYS - 1, hours=12)
SPIKE_MESSAGES = 30
SEND_HEADER = (
    "message_id,provider,channel,sent_at,sender,recipient,country,carrier,campaign,segments\n"
)
EVENT_HEADER = "message_id,provider,channel,event_at,status_code,status_text,carrier\n"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def planted_logs() -> tuple[str, str]:
    """Ten days of ordinary traffic (one 4000 a day for a baseline), the spike, one message
    whose uncatalogued code quotes the number, and a ragged line carrying it."""
    sends, events = [SEND_HEADER], [EVENT_HEADER]
    n = 0
    for hour in range(DAYS * 24):
        start = FIRST_DAY + timedelta(hours=hour)
        for i in range(PER_HOUR):
            n += 1
            at = start + timedelta(minutes=i * 7)
            carrier = ("AT&T", "Verizon")[n % 2]
            sender = ("ACME", "12345")[n % 2]
            sends.append(
                f"m{n},azure_acs,sms,{stamp(at)},{sender},+1312555{n % 10000:04d},,"
                f"{carrier},news,1\n"
            )
            code, text = ("4000", "Fraud") if hour % 24 == 3 and i == 0 else ("2000", "Ok")
            events.append(f"m{n},azure_acs,sms,{stamp(at + timedelta(seconds=9))},{code},{text},\n")
    for i in range(SPIKE_MESSAGES):
        message_id = f"01FC66621XXXXX119Z8PMV{i:04d}:{NUMBER}"
        at = SPIKE_AT + timedelta(minutes=i)
        sends.append(
            f"{message_id},azure_acs,sms,{stamp(at)},{NUMBER},+1312666{i:04d},,Verizon,"
            f"msisdn{PLANTED[:-1]}{i % 10},1\n"
        )
        events.append(
            f"{message_id},azure_acs,sms,{stamp(at + timedelta(seconds=9))},4000,"
            f"Fraud: To=%2B1{PLANTED},\n"
        )
    odd_at = SPIKE_AT + timedelta(hours=2)
    sends.append(f"odd1,azure_acs,sms,{stamp(odd_at)},ACME,+13125559999,,AT&T,news,1\n")
    events.append(
        f"odd1,azure_acs,sms,{stamp(odd_at + timedelta(seconds=9))},8888,"
        f"Blocked: recipient {NUMBER} opted out,\n"
    )
    # A ragged line (too many fields) is rejected and kept, raw, in quarantine.
    sends.append(f"bad1,azure_acs,sms,{stamp(odd_at)},ACME,{NUMBER},,AT&T,news,1,x,y\n")
    return "".join(sends), "".join(events)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("private")
    path = str(folder / "private.duckdb")
    sends, events = planted_logs()
    run_cli("ingest", str(write(folder / "sends.csv", sends)), "--db", path)
    run_cli("ingest", str(write(folder / "events.csv", events)), "--db", path)
    return path


def out(*args: str) -> str:
    return run_cli(*args).stdout


def assert_masked(text: str) -> None:
    assert PLANTED not in text, text
    # Not a single stretch of the number's first digits either (a partial mask).
    assert PLANTED[:7] not in text, text


COMMANDS = {
    "report --by sender": ("report", "--by", "sender"),
    "report --by campaign": ("report", "--by", "campaign"),
    "report --by sender,carrier": ("report", "--by", "sender,carrier"),
    "status": ("status",),
    "spikes": ("spikes", "--grain", "hour"),
    "compare --by sender": (
        "compare",
        "--by",
        "sender",
        "--since",
        "2026-11-10",
        "--until",
        "2026-11-11",
    ),
}
# Each command in each of its formats; True where the planted number is in the output at
# all (with --reveal it is then shown in full). The spikes table shortens contributors to
# one line, which may leave the sender out.
CASES = [
    ("report --by sender", "table", True),
    ("report --by sender", "json", True),
    ("report --by sender", "csv", True),
    ("report --by campaign", "table", True),
    ("report --by campaign", "json", True),
    ("report --by campaign", "csv", True),
    ("report --by sender,carrier", "csv", True),
    ("status", "table", True),
    ("status", "json", True),
    ("spikes", "table", False),
    ("spikes", "json", True),
    ("compare --by sender", "table", True),
    ("compare --by sender", "json", True),
    ("compare --by sender", "csv", True),
]


@pytest.mark.parametrize(("name", "fmt", "holds_number"), CASES)
def test_masked_by_default_shown_with_reveal(db, name, fmt, holds_number):
    masked = out(*COMMANDS[name], "--db", db, "--format", fmt)
    assert_masked(masked)
    if holds_number:
        assert MASKED in masked
        assert PLANTED in out(*COMMANDS[name], "--db", db, "--format", fmt, "--reveal")


def test_report_by_sender_masks_the_number_and_keeps_short_codes_and_ids(db):
    rows = json.loads(out("report", "--by", "sender", "--db", db, "--format", "json"))["rows"]
    assert {r["sender"] for r in rows} == {MASKED, "12345", "ACME"}
    revealed = json.loads(
        out("report", "--by", "sender", "--db", db, "--format", "json", "--reveal")
    )["rows"]
    assert {r["sender"] for r in revealed} == {NUMBER, "12345", "ACME"}
    # The numbers do not change: masking is of the text only.
    assert sorted(r["messages"] for r in rows) == sorted(r["messages"] for r in revealed)
    table = out("report", "--by", "sender", "--db", db, "--format", "csv")
    senders = {row["sender"] for row in csv.DictReader(io.StringIO(table))}
    assert senders == {MASKED, "12345", "ACME"}


def test_report_by_campaign_masks_a_letter_prefixed_number(db):
    rows = json.loads(out("report", "--by", "campaign", "--db", db, "--format", "json"))["rows"]
    assert {r["campaign"] for r in rows} == {"news"} | {f"msisdn••••111{i}" for i in range(10)}


def test_status_masks_example_texts(db):
    info = json.loads(out("status", "--db", db, "--format", "json"))
    examples = {r["code"]: r["example_text"] for r in info["uncatalogued_codes"]}
    assert examples["8888"] == f"Blocked: recipient {MASKED} opted out"
    assert info["rejected_rows"] == 1
    revealed = json.loads(out("status", "--db", db, "--format", "json", "--reveal"))
    examples = {r["code"]: r["example_text"] for r in revealed["uncatalogued_codes"]}
    assert examples["8888"] == f"Blocked: recipient {NUMBER} opted out"


def test_spike_contributors_mask_the_sender(db):
    spikes = json.loads(out("spikes", "--grain", "hour", "--db", db, "--format", "json"))
    spike = next(s for s in spikes["spikes"] if s["code"] == "4000")
    senders = [c["value"] for c in spike["top_contributors"] if c["dimension"] == "sender"]
    assert senders == [MASKED]
    revealed = json.loads(
        out("spikes", "--grain", "hour", "--db", db, "--format", "json", "--reveal")
    )
    spike = next(s for s in revealed["spikes"] if s["code"] == "4000")
    senders = [c["value"] for c in spike["top_contributors"] if c["dimension"] == "sender"]
    assert senders == [NUMBER]


def test_notes_are_masked_unless_revealed(db):
    added = out("note", "add", "--week", "2026-W46", "--text", f"{NUMBER} complained", "--db", db)
    assert_masked(added)
    assert f"{MASKED} complained" in added
    assert_masked(out("note", "list", "--db", db, "--format", "json"))
    notes = json.loads(out("note", "list", "--db", db, "--format", "json", "--reveal"))
    assert any(n["body"] == f"{NUMBER} complained" for n in notes["notes"])


def test_review_is_always_masked(db, tmp_path):
    assert_masked(out("review", "--db", db, "--week", "2026-W46", "--spike-grain", "hour"))
    target = tmp_path / "review.json"
    run_cli("review", "--db", db, "--week", "2026-W46", "--out", str(target))
    assert_masked(target.read_text(encoding="utf-8"))
    proc = run_cli("review", "--db", db, "--reveal", check=False)
    assert proc.returncode == 2 and "--reveal" in proc.stderr


def test_catalog_output_is_masked_unless_revealed(tmp_path):
    extra = write(
        tmp_path / "extra.csv",
        HEADER + f"azure_acs,sms,4998,0,,,Ours,Call To=%2B1{PLANTED} back,,,failed,"
        "provider_error,true,false,team wiki,\n",
    )
    base = ("catalog", "lookup", "4998", "--provider", "azure_acs", "--catalog-extra", str(extra))
    for fmt in ("table", "json"):
        assert_masked(run_cli(*base, "--format", fmt).stdout)
    shown = json.loads(run_cli(*base, "--format", "json").stdout)
    assert shown[0]["description"] == f"Call To={MASKED} back"
    revealed = json.loads(run_cli(*base, "--format", "json", "--reveal").stdout)
    assert revealed[0]["description"] == f"Call To=%2B1{PLANTED} back"
    listing = ("catalog", "list", "--provider", "azure_acs", "--catalog-extra", str(extra))
    assert_masked(run_cli(*listing, "--format", "csv").stdout)
    assert PLANTED in run_cli(*listing, "--format", "csv", "--reveal").stdout


@pytest.mark.parametrize(
    "command", ["status", "report", "spikes", "compare", "note list", "catalog list"]
)
def test_reveal_is_documented(command):
    assert "--reveal" in run_cli(*command.split(), "--help").stdout


def test_ingest_errors_are_masked_unless_revealed(tmp_path):
    # An error names the file, and a file may be named after a number.
    bad = write(tmp_path / "to_14155551111.csv", "just some words\n")
    db = str(tmp_path / "e.duckdb")
    masked = run_cli("ingest", str(bad), "--db", db, check=False)
    assert masked.returncode == 1
    assert "4155551111" not in masked.stderr and "to_••••1111.csv" in masked.stderr
    out = json.loads(
        run_cli("ingest", str(bad), "--db", db, "--format", "json", check=False).stdout
    )
    assert "4155551111" not in json.dumps(out)
    revealed = run_cli("ingest", str(bad), "--db", db, "--reveal", check=False)
    assert "to_14155551111.csv" in revealed.stderr
