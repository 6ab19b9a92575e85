"""A dashboard upload runs on a worker thread and can be cancelled: the file in progress
rolls back, the files it already committed are taken back, and the store is as before the
upload, down to its ledger (the same files upload again afterwards)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deliverability.dashboard.uploads import Upload
from deliverability.readers.base import ReadOptions
from deliverability.store import Store
from tests import synth
from tests.conftest import ingest, write

TABLES = ("sends", "events", "messages", "quarantine", "ingests", "rollup_code_hour",
          "rollup_dims_day", "rollup_latency_day", "event_code_days", "uncatalogued_events",
          "pending_refresh")  # fmt: skip


def snapshot(store: Store) -> dict[str, list]:
    """Every row of the tables an upload writes, in a stable order."""
    return {
        table: sorted(store.con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)  # noqa: S608
        for table in TABLES
    }


@pytest.fixture
def files(tmp_path) -> tuple[Path, list[Path]]:
    """(a file already in the store, [a small file, a large send log, its delivery log])."""
    earlier = write(
        tmp_path / "earlier.csv",
        "message_id,provider,channel,sent_at,status_code\n"
        "e1,twilio,sms,2024-01-02T10:00:00Z,delivered\n",
    )
    small = write(
        tmp_path / "small.csv",
        "message_id,provider,channel,event_at,status_code\n"
        "e1,twilio,sms,2024-01-02T10:05:00Z,30007\n"
        "s1,twilio,sms,2024-01-02T11:00:00Z,delivered\n",
    )
    big = synth.messages(seed=5, days=20, streams=(synth.Stream(per_hour=400),))
    return earlier, [small, *synth.write_logs(big, tmp_path / "big")]


@pytest.mark.slow
def test_a_cancelled_upload_leaves_the_store_as_before(tmp_path, files):
    earlier, uploaded = files
    store = Store.open(tmp_path / "store.duckdb")
    try:
        assert ingest(store, earlier).loaded == 1
        before = snapshot(store)
        upload = Upload(store, uploaded, ReadOptions(), [p.name for p in uploaded])
        # Cancel inside the large send log: the small file is committed by then.
        deadline = time.monotonic() + 60
        while upload.index < 1 and upload.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        assert upload.running(), "the upload finished before it could be cancelled"
        upload.cancel()
        assert upload.cancelled and not upload.running() and upload.not_restored == []
        assert snapshot(store) == before
        # Nothing of the upload is remembered: the same files load again, in full.
        again = Upload(store, uploaded, ReadOptions(), [p.name for p in uploaded])
        again.wait()
        assert [r.loaded for r in again.results][0] == 2
        assert all(r.ok and r.loaded > 0 and not r.already_ingested for r in again.results)
    finally:
        store.close()


def test_an_upload_left_alone_completes(tmp_path, files):
    earlier, uploaded = files
    store = Store.open(tmp_path / "store.duckdb")
    try:
        upload = Upload(store, [earlier, uploaded[0]], ReadOptions(), ["a.csv", "b.csv"])
        upload.wait()
        assert not upload.cancelled and [r.loaded for r in upload.results] == [1, 2]
        outcomes = dict(store.con.execute("SELECT message_id, outcome FROM messages").fetchall())
        assert outcomes == {"e1": "failed", "s1": "delivered"}
    finally:
        store.close()
