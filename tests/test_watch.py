"""`deliverability watch FOLDER`: files dropped in a folder are ingested once they settle and
the alert rules run after each ingest; --once for cron, Ctrl-C ends the loop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deliverability.cli import main
from deliverability.cli.watch import FolderWatch
from tests import alert_store
from tests.alert_receivers import http_receiver
from tests.conftest import CLI

SENDS = "message_id,provider,channel,sent_at,recipient\n"


def settled(path: Path, age: float = 120.0) -> Path:
    """PATH as if written AGE seconds ago."""
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_a_file_is_ready_once_it_stops_changing(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "README.md").write_text("how we export", encoding="utf-8")
    fresh = folder / "today.csv"
    fresh.write_text(SENDS + "m1,twilio,sms,2024-01-01T00:00:00Z,+14155550100\n", "utf-8")
    start = time.time()
    watch = FolderWatch(folder, settle=10)
    assert watch.ready({}, now=start) == []  # written just now: it may still be copied in
    assert watch.ready({}, now=start + 60) == [fresh]  # README.md is not a log
    # Changed since the previous look: taken once a look finds it as the one before.
    with fresh.open("a", encoding="utf-8") as handle:
        handle.write("m2,twilio,sms,2024-01-01T00:01:00Z,+14155550101\n")
    assert watch.ready({}, now=time.time() + 60) == []
    assert watch.ready({}, now=time.time() + 120) == [fresh]
    watch.taken([fresh])
    assert watch.ready({}, now=time.time() + 180) == []
    # In the store since before its last change: read again; since after it: not.
    earlier = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    again = FolderWatch(folder, settle=0)
    assert again.ready({str(fresh): earlier}) == [fresh]
    assert FolderWatch(folder, settle=0).ready({str(fresh): later}) == []


@pytest.mark.slow
def test_watch_once_ingests_dropped_files_and_alerts_on_them(tmp_path, capsys):
    logs, late, catalog = alert_store.write(tmp_path / "exports")
    drop = tmp_path / "drop"
    drop.mkdir()
    for path in logs:
        settled(Path(shutil.copy(path, drop / path.name)))
    db = tmp_path / "store.duckdb"

    def once(*extra: str) -> tuple[int, str, str]:
        args = [
            "watch",
            str(drop),
            "--once",
            "--db",
            str(db),
            "--catalog-extra",
            str(catalog),
            "--webhook",
            hook.url,
            *extra,
        ]
        code = main(args)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    with http_receiver() as hook:
        code, out, err = once()
        assert code == 0, err
        assert out.count("ingested ") == 2 and "synth_sends.csv: " in out
        sent = [a for p in hook.payloads for a in p["alerts"]]
        assert sorted((a["provider"], a["code"]) for a in sent) == [
            ("azure_acs", "7101"),
            ("twilio", "7102"),
        ]

        # Nothing new: nothing ingested, nothing sent again.
        code, out, err = once()
        assert code == 0 and "ingested" not in out and len(hook.requests) == 2

        # The late reports arrive, still being written: left for the next pass.
        arriving = Path(shutil.copy(late, drop / late.name))
        code, out, _ = once()
        assert code == 0 and "late_events.csv" not in out and len(hook.requests) == 2
        settled(arriving)
        code, out, err = once()
        assert code == 0, err
        assert "late_events.csv: 27 loaded" in out
        update = hook.payloads[-1]["alerts"][0]
        assert update["update"] is True and (update["previous_count"], update["count"]) == (20, 47)


def test_watch_polls_until_ctrl_c_and_exits_130(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    db = tmp_path / "store.duckdb"
    proc = subprocess.Popen(
        [str(CLI), "watch", str(drop), "--db", str(db), "--interval", "0.2", "--settle", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        (drop / "sends.csv").write_text(
            SENDS + "m1,twilio,sms,2024-01-01T00:00:00Z,+14155550100\n", encoding="utf-8"
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            db.exists() and _ingested(db) and proc.poll() is None
        ):
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "ingested " in out and "sends.csv: 1 loaded" in out
    assert "watch stopped" in err and "Traceback" not in err
    assert "ingesting only" in err


def _ingested(db: Path) -> bool:
    """Whether the store lists a file (read in another process, as the dashboard would)."""
    code = (
        "import sys; from deliverability.store import Store; "
        "from deliverability.queries.status import ingested_paths; "
        "con = Store.open_reader(__import__('pathlib').Path(sys.argv[1]), wait=5); "
        "print(len(ingested_paths(con)))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() not in ("", "0")


def test_a_bad_file_is_reported_once_and_read_again_once_it_changes(tmp_path, capsys):
    """A cron `watch --once` does not fail forever on one old bad file, nor read again a
    copy of a stored file under another name."""
    drop = tmp_path / "drop"
    drop.mkdir()
    db = tmp_path / "store.duckdb"
    good = drop / "sends.csv"
    good.write_text(SENDS + "m1,twilio,sms,2024-01-01T00:00:00Z,+14155550100\n", "utf-8")
    settled(good)
    bad = drop / "broken.csv"
    bad.write_text("colour,flavour\nred,sweet\n", "utf-8")
    settled(bad)

    def once() -> tuple[int, str]:
        code = main(["watch", str(drop), "--once", "--db", str(db), "--settle", "0"])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, shown = once()
    assert code == 1 and "broken.csv" in shown and "sends.csv: 1 loaded" in shown
    shutil.copy(good, drop / "copy.csv")
    settled(drop / "copy.csv")
    code, shown = once()
    assert code == 0 and "broken.csv" not in shown and "copy.csv: already ingested" in shown
    code, shown = once()
    assert (
        code == 0
        and shown.strip() == "no alert rules (--config, --webhook or --smtp): ingesting only"
    )
    assert (tmp_path / "store.duckdb.watch-state.json").exists()
    settled(bad, age=60)  # changed (touched): tried again
    code, shown = once()
    assert code == 1 and "broken.csv" in shown
