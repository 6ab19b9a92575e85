"""Two users at once and crashes, with real processes: serialised writers, readers that keep
reading during an ingest, and a store that survives kill -9 holding before-or-after."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest

from deliverability.ingest import ingest_file
from deliverability.store import Store
from tests.conftest import CLI, cli_json

pytestmark = pytest.mark.slow


def big_events_file(path: Path, rows: int, offset: int = 0) -> Path:
    """A canonical delivery log of ROWS messages, written by DuckDB (fast)."""
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT 'm' || (i + {int(offset)}) AS message_id, 'azure_acs' AS provider,
                   'sms' AS channel,
                   strftime(TIMESTAMP '2024-03-04' + to_seconds(i % 86400), '%Y-%m-%dT%H:%M:%SZ') AS event_at,
                   CASE WHEN i % 10 = 0 THEN '4006' ELSE '2000' END AS status_code,
                   'text' AS status_text, 'Carrier ' || (i % 7) AS carrier
            FROM range({int(rows)}) t(i)
        ) TO '{path}' (HEADER)
        """
    )
    con.close()
    return path


def counts(db: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM messages), "
            "(SELECT count(*) FROM ingests)"
        ).fetchone()
    finally:
        con.close()


def test_second_writer_process_is_told_store_is_busy(tmp_path):
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    holder = subprocess.Popen(
        [
            str(Path(CLI).parent / "python"),
            "-c",
            "import sys, time; from pathlib import Path; from deliverability.store import Store;"
            f"s = Store.open(Path({str(db)!r})); print('open', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        small = big_events_file(tmp_path / "e.csv", 10)
        proc = subprocess.run(
            [str(CLI), "ingest", str(small), "--db", str(db), "--wait", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2
        assert "store is busy" in proc.stderr and str(db) in proc.stderr
        assert "--wait" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
    assert counts(db) == (0, 0, 0)


def hold(db: Path, read_only: bool, seconds: float) -> subprocess.Popen:
    """Another process holding the store (read-only, or to write) for SECONDS."""
    opener = (
        f"import duckdb; con = duckdb.connect({str(db)!r}, read_only=True)"
        if read_only
        else f"from pathlib import Path; from deliverability.store import Store; "
        f"con = Store.open(Path({str(db)!r}))"
    )
    holder = subprocess.Popen(
        [
            str(Path(CLI).parent / "python"),
            "-c",
            f"import time; {opener}; print('open', flush=True); time.sleep({seconds}); "
            "con.close(); print('closed', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "open"
    return holder


def test_a_writer_waits_for_a_reader_and_a_reader_for_the_writer(tmp_path):
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    small = big_events_file(tmp_path / "e.csv", 10)
    reader = hold(db, read_only=True, seconds=3)
    try:
        started = time.monotonic()
        out = cli_json("ingest", str(small), "--db", str(db), "--format", "json")
        assert out["totals"]["loaded"] == 10 and time.monotonic() - started > 2
    finally:
        reader.kill()
        reader.wait()
    assert not (tmp_path / "s.duckdb.writer-waiting").exists()
    writer = hold(db, read_only=False, seconds=3)
    try:
        started = time.monotonic()
        report = cli_json("report", "--db", str(db), "--by", "code", "--format", "json")
        assert report["totals"]["messages"] == 10 and time.monotonic() - started > 2
    finally:
        writer.kill()
        writer.wait()


def test_reports_read_side_by_side(tmp_path):
    db = tmp_path / "s.duckdb"
    cli_json("ingest", str(big_events_file(tmp_path / "e.csv", 10)), "--db", str(db))
    reader = hold(db, read_only=True, seconds=20)
    try:
        started = time.monotonic()
        report = cli_json("report", "--db", str(db), "--by", "code", "--format", "json")
        assert report["totals"]["messages"] == 10 and time.monotonic() - started < 15
    finally:
        reader.kill()
        reader.wait()


def test_parallel_cli_ingests_are_serialised(tmp_path):
    db = tmp_path / "s.duckdb"
    first = big_events_file(tmp_path / "a.csv", 200_000)
    second = big_events_file(tmp_path / "b.csv", 1_000, offset=10_000_000)
    a = subprocess.Popen(
        [str(CLI), "ingest", str(first), "--db", str(db), "--wait", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.3)
    b = subprocess.Popen(
        [str(CLI), "ingest", str(second), "--db", str(db), "--wait", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert a.wait(timeout=180) == 0, a.stderr.read()
    assert b.wait(timeout=180) == 0, b.stderr.read()
    assert counts(db) == (201_000, 201_000, 2)


def test_reads_continue_while_an_upload_ingests(tmp_path):
    """The dashboard's situation: one process, one store, an ingest thread and a reader."""
    store = Store.open(tmp_path / "s.duckdb")
    ingest_file(store, big_events_file(tmp_path / "seed.csv", 1_000, offset=50_000_000))
    big = big_events_file(tmp_path / "big.csv", 300_000)
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        cur = store.cursor()
        try:
            while not done.is_set():
                seen.append(cur.execute("SELECT count(*) FROM messages").fetchone()[0])
                time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            cur.close()

    thread = threading.Thread(target=reader)
    thread.start()
    result = ingest_file(store, big)
    done.set()
    thread.join()
    assert result.ok and not errors
    assert len(seen) > 3
    # every read saw the store before or after the file, never half of it
    assert set(seen) <= {1_000, 301_000}
    assert 1_000 in seen
    store.close()


def test_two_uploads_in_one_process_are_serialised(tmp_path):
    store = Store.open(tmp_path / "s.duckdb")
    files = [big_events_file(tmp_path / f"{i}.csv", 50_000, offset=i * 1_000_000) for i in range(2)]
    results = []
    threads = [
        threading.Thread(target=lambda f=f: results.append(ingest_file(store, f))) for f in files
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results) and sorted(r.loaded for r in results) == [50_000, 50_000]
    assert store.con.execute("SELECT count(*) FROM messages").fetchone()[0] == 100_000
    assert sorted(store.con.execute("SELECT ingest_id FROM ingests").fetchall()) == [(1,), (2,)]
    store.close()


def test_kill_9_during_ingest_leaves_before_or_complete(tmp_path):
    db = tmp_path / "s.duckdb"
    cli_json(
        "ingest",
        str(big_events_file(tmp_path / "seed.csv", 1_000, offset=90_000_000)),
        "--db",
        str(db),
    )
    before = counts(db)
    big = big_events_file(tmp_path / "big.csv", 600_000)
    outcomes = set()
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen(
            [str(CLI), "ingest", str(big), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # wait until it has started reading, then kill it without warning
        while "reading as" not in (line := proc.stderr.readline()) and line:
            pass
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        after = counts(db)
        assert after in (before, (before[0] + 600_000, before[1] + 600_000, before[2] + 1)), after
        outcomes.add(after == before)
        # the store opens and works normally afterwards
        store = Store.open(db)
        store.close()
    final = cli_json("ingest", str(big), "--db", str(db))
    assert final["totals"]["rows_read"] == 600_000
    assert counts(db)[0] == before[0] + 600_000
