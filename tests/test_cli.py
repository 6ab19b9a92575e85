"""The `deliverability` command through its installed entry point, as a user runs it: every
command group's output (table, JSON, CSV), exit statuses, and one-line errors without a
traceback. Commands with a fixture store of their own are tested beside it (spikes and
compare in test_spikes.py, review and notes in test_review.py)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import cli_json, run_cli, write
from tests.test_catalog import HEADER
from tests.test_store import EVENTS, SENDS

COMMANDS = (
    "catalog",
    "ingest",
    "status",
    "report",
    "dashboard",
    "review",
    "note",
    "spikes",
    "compare",
)


def test_help_lists_every_command():
    out = run_cli("--help").stdout
    for command in COMMANDS:
        assert f"    {command}" in out, command


def test_the_command_table_is_what_the_modules_register():
    """`--help` lists deliverability/cli/commands.py without importing any command's module:
    the table must name each command's module and help line as the module registers them."""
    from deliverability.cli import full_parser
    from deliverability.cli.commands import COMMANDS as TABLE

    sub = next(a for a in full_parser()._actions if isinstance(a, argparse._SubParsersAction))
    registered = {c.dest: c.help for c in sub._choices_actions}
    assert registered == {name: spec.help for name, spec in TABLE.items()}
    assert set(COMMANDS) | {"alert", "watch", "lake"} == set(TABLE)


def test_help_imports_no_command_module():
    code = (
        "import sys\n"
        "from deliverability.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'polars', 'scipy', 'deliverability.queries') if m in sys.modules]\n"
        "print('heavy:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "heavy:", out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    assert run_cli(command, "--help").stdout.startswith(f"usage: deliverability {command}")


def test_no_command_prints_help_and_exits_2():
    proc = run_cli(check=False)
    assert proc.returncode == 2 and "usage: deliverability" in proc.stdout


USAGE_ERRORS = [
    (("report", "--by", "planet"), "unknown dimension(s) planet"),
    (("report", "--since", "yesterday"), "not a date or timestamp"),
    (("compare", "--since", "2024-03-01"), "a previous period needs both since and until"),
    (("ingest", "x.csv", "--map", "message_id"), "--map: expected canonical=source pairs"),
    (("review", "--out", "review.pdf"), "--out must end in .html, .md or .json"),
    (("note", "add", "--week", "2024-W99", "--text", "x"), "not an ISO week"),
    (("note", "add", "--carrier", "EE", "--provider", "sfmc", "--text", "x"), "--provider and --channel go with --code"),
    (("spikes", "--min-count", "-5"), "min_count must be at least 1"),
    (("spikes", "--fdr", "5"), "fdr is a false discovery rate between 0 and 1"),
    (("spikes", "--min-ratio", "0"), "min_ratio must be above 0"),
    (("compare", "--since", "2026-11-10", "--until", "2026-11-01"), "is not before --until"),
    (("report", "--since", "2026-11-10", "--until", "2026-11-10"), "is not before --until"),
    (("ingest", "x.csv", "--timezone", "Mars/Olympus"), "is not a time zone"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"), USAGE_ERRORS, ids=[a[0][0] + "-" + a[0][-1] for a in USAGE_ERRORS]
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    proc = run_cli(*args, "--db", str(tmp_path / "s.duckdb"), check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("deliverability: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_report_as_table_json_and_csv(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    run_cli(
        "ingest",
        str(write(tmp_path / "s.csv", SENDS)),
        str(write(tmp_path / "e.csv", EVENTS)),
        "--db",
        db,
    )
    table = run_cli("report", "--db", db, "--by", "provider").stdout.splitlines()
    assert table[0].split()[:3] == ["provider", "messages", "delivered"]
    assert [line.split()[:2] for line in table[2:]] == [
        ["azure_acs", "3"],
        ["sfmc", "1"],
        ["sinch", "1"],
    ]
    rows = run_cli("report", "--db", db, "--by", "provider", "--format", "csv").stdout.splitlines()
    assert rows[0].startswith("provider,messages,delivered,failed")
    assert rows[1].startswith("azure_acs,3,1,1,")
    by_day = cli_json("report", "--db", db, "--by", "day,provider", "--provider", "azure_acs")
    assert [(r["day"], r["messages"]) for r in by_day["rows"]] == [("2024-03-04T00:00:00", 3)]
    assert by_day["totals"]["messages"] == 3


@pytest.mark.slow
def test_cli_ingest_status_report(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    sends = write(tmp_path / "sends.csv", SENDS)
    events = write(tmp_path / "events.csv", EVENTS)
    out = cli_json("ingest", str(sends), str(events), "--db", db)
    assert out["totals"] == {"rows_read": 14, "loaded": 10, "duplicates": 1, "rejected": 3}
    assert [f["reader"] for f in out["files"]] == ["canonical", "canonical"]
    report = cli_json("report", "--db", db, "--by", "provider")
    assert report["totals"]["messages"] == 5  # a1, a2, s1 (sends) + x9, z1 (events only)
    rows = {r["provider"]: r for r in report["rows"]}
    assert rows["azure_acs"]["messages"] == 3
    assert rows["azure_acs"]["delivered"] == 1 and rows["azure_acs"]["failed"] == 1
    assert rows["azure_acs"]["delivery_rate"] == pytest.approx(1 / 3)
    status = cli_json("status", "--db", db)
    assert status["files_ingested"] == 2 and status["rejected_rows"] == 3
    assert [c["code"] for c in status["uncatalogued_codes"]] == ["8888"]


def test_cli_unreadable_file_exits_nonzero_but_others_load(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    good = write(tmp_path / "events.csv", EVENTS)
    proc = run_cli("ingest", str(tmp_path / "nope.csv"), str(good), "--db", db, check=False)
    assert proc.returncode == 1
    assert "nope.csv" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert cli_json("status", "--db", db)["messages"] == 5


def test_cli_lookup_json_across_providers():
    rows = cli_json("catalog", "lookup", "2000")
    by_provider = {r["provider"]: r for r in rows if r["variant"] == 0}
    assert by_provider["azure_acs"]["outcome"] == "delivered"
    assert by_provider["sfmc"]["name"] == "DeliveredToAggregator"
    assert by_provider["sinch"]["name"] == "Client error"
    fields = {
        "provider",
        "channel",
        "code",
        "name",
        "description",
        "advice",
        "provider_status",
        "outcome",
        "category",
        "final",
        "retryable",
        "source",
    }
    assert fields <= set(rows[0])


def test_cli_lookup_with_channel_fallback_and_miss():
    rows = cli_json("catalog", "lookup", "7001", "--provider", "webex_connect", "--channel", "sms")
    assert [r["channel"] for r in rows] == ["*"]
    miss = run_cli("catalog", "lookup", "123456", "--provider", "azure_acs", check=False)
    assert miss.returncode == 1 and "uncatalogued" in miss.stderr


@pytest.mark.slow
def test_cli_list_and_stats(tmp_path):
    rows = cli_json("catalog", "list", "--provider", "sfmc")
    assert len(rows) >= 20 and {r["provider"] for r in rows} == {"sfmc"}
    csv_out = run_cli("catalog", "list", "--category", "opted_out", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("provider,channel,code")
    stats = cli_json("catalog", "stats")
    assert stats["entries"] == sum(r["entries"] for r in stats["provider"])


def test_cli_catalog_extra_visible_in_lookup(tmp_path):
    extra = write(
        tmp_path / "mine.csv",
        HEADER + "sfmc,sms,2000,0,,,Ours,,,,delivered,delivered,true,false,team,\n",
    )
    rows = cli_json(
        "catalog", "lookup", "2000", "--provider", "sfmc", "--catalog-extra", str(extra)
    )
    assert rows[0]["origin"] == "extra" and rows[0]["name"] == "Ours"


def test_ingest_a_folder_skips_what_is_plainly_not_a_log(tmp_path):
    folder = tmp_path / "exports"
    write(folder / "sends.csv", SENDS)
    write(folder / "later" / "events.csv", EVENTS)
    write(folder / "README.md", "# what these are\n")
    write(folder / "fetch.py", "print('hello')\n")
    db = str(tmp_path / "f.duckdb")
    proc = run_cli("ingest", str(folder), str(folder / "README.md"), "--db", db, "--format", "json")
    out = json.loads(proc.stdout)
    assert [Path(f["path"]).name for f in out["files"]] == ["events.csv", "sends.csv"]
    assert out["totals"] == {"rows_read": 14, "loaded": 10, "duplicates": 1, "rejected": 3}
    skipped = sorted((Path(s["path"]).name, s["reason"]) for s in out["skipped"])
    assert skipped == [
        ("README.md", "not a log file (.md)"),
        ("README.md", "not a log file (.md)"),
        ("fetch.py", "not a log file (.py)"),
    ]
    assert proc.stderr.count("skipped, not a log file") == 3


@pytest.mark.slow
def test_an_event_without_a_time_is_dated_by_receipt_never_dropped(tmp_path):
    """A Twilio status callback logged as its bare body carries no time: the file's
    modification time stands in (or --received-at), and the ingest says how many."""
    body = "MessageSid=SM{n}&MessageStatus={status}&ErrorCode={code}&To=%2B1415555010{n}"
    lines = [
        body.format(n=1, status="failed", code="30007"),
        body.format(n=2, status="sent", code=""),
    ]
    log = write(tmp_path / "callbacks.txt", "\n".join(lines) + "\n")
    received = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    os.utime(log, (received.timestamp(), received.timestamp()))
    db = str(tmp_path / "t.duckdb")
    out = cli_json("ingest", str(log), "--db", db)["files"][0]
    assert (out["reader"], out["loaded"], out["rejected"]) == ("twilio_callbacks", 2, 0)
    assert (out["dated_by_receipt"], out["dated_from"]) == (2, "the file's modification time")
    rows = cli_json("report", "--by", "code", "--db", db)["rows"]
    assert sorted((r["code"], r["outcome"]) for r in rows) == [
        ("30007", "failed"),
        ("sent", "pending"),
    ]
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT DISTINCT event_at FROM events").fetchall() == [
            (datetime(2026, 11, 18, 9, 30),)
        ]
        assert con.execute("SELECT dated_by_receipt, dated_from FROM ingests").fetchall() == [
            (2, "the file's modification time")
        ]
    finally:
        con.close()
    # The same content again, with a receipt time given: already ingested, nothing twice.
    again = cli_json("ingest", str(log), "--received-at", "2026-11-19T00:00:00Z", "--db", db)
    assert again["totals"]["loaded"] == 0
    other = write(tmp_path / "more.txt", body.format(n=3, status="failed", code="30003") + "\n")
    given = cli_json("ingest", str(other), "--received-at", "2026-11-19T08:00:00+01:00", "--db", db)
    assert (given["files"][0]["dated_by_receipt"], given["files"][0]["dated_from"]) == (
        1,
        "--received-at",
    )
    assert (
        cli_json("report", "--by", "day", "--code", "30003", "--db", db)["rows"][0]["day"]
        == "2026-11-19T00:00:00"
    )


@pytest.mark.parametrize("kind", ["folder", "not a store", "truncated store"])
def test_a_db_that_is_not_a_store_is_one_line_and_exit_2(tmp_path, kind):
    db = tmp_path / "store.duckdb"
    if kind == "folder":
        db.mkdir()
    elif kind == "not a store":
        db.write_text("message_id,provider\n")
    else:
        run_cli("ingest", str(write(tmp_path / "e.csv", EVENTS)), "--db", str(db))
        db.write_bytes(db.read_bytes()[:4096])
    proc = run_cli("report", "--db", str(db), check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"deliverability: cannot open the store {db}")
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_catalog_lookup_prints_whole_descriptions():
    out = run_cli("catalog", "lookup", "30007", "--provider", "twilio").stdout
    assert "or by a wireless carrier for violating" in out  # past the 60 characters a list cuts


def test_catalog_lookup_gives_advice_and_the_providers_page():
    out = run_cli("catalog", "lookup", "30007", "--provider", "twilio").stdout
    assert "twilio * 30007 advice (for carrier_filtered failures in general): The carrier" in out
    assert "twilio * 30007 provider's page: https://www.twilio.com/docs/api/errors/30007" in out
