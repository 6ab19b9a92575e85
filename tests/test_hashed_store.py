"""A hashed store is a property of the store, set once: every later ingest (CLI without the
flag, the dashboard's upload) hashes with the same key, kept outside the store file, and
no planted number survives anywhere in the file's bytes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from deliverability.ingest import ingest_files
from deliverability.store import Store
from tests.conftest import run_cli, write

KEY = {"DELIVERABILITY_RECIPIENT_SALT": "a-long-random-key-for-tests"}
PLANTED = "14155551111"
CANONICAL = (
    "message_id,provider,channel,sent_at,recipient,event_at,status_code,status_text\n"
    f"m1,azure_acs,sms,2026-11-18T09:00:00Z,+{PLANTED},2026-11-18T09:00:05Z,4001,"
    f"failed to +{PLANTED}\n"
    f"m2,azure_acs,sms,not a time,+{PLANTED},2026-11-18T09:00:05Z,4001,x\n"
    # the number as people write it, in a status text and in a rejected row's time
    f"m3,azure_acs,sms,2026-11-18T09:00:00Z,+{PLANTED},2026-11-18T09:00:05Z,4001,"
    '"call +1 (415) 555-1111 or 415.555.1111"\n'
    f"m4,azure_acs,sms,+1 415 555 1111,+{PLANTED},2026-11-18T09:00:05Z,4001,x\n"
)
# A delivery log without recipients, whose ids embed the number (as Sinch's do).
EVENTS_WITHOUT_RECIPIENT = (
    "message_id,provider,channel,event_at,status_code\n"
    f"B1:{PLANTED},sinch,sms,2026-11-18T09:00:09Z,0\n"
)
SENDS_WITH_RECIPIENT = (
    "message_id,provider,channel,sent_at,recipient\n"
    f"B1:{PLANTED},sinch,sms,2026-11-18T09:00:00Z,+{PLANTED}\n"
)
# Sinch's delivery report for one recipient: the reader's message id embeds the number.
SINCH = json.dumps(
    {
        "type": "recipient_delivery_report_sms",
        "batch_id": "01FC66621XXXXX119Z8PMV1QPQ",
        "recipient": PLANTED,
        "code": 401,
        "status": "Dispatched",
        "at": "2026-11-18T09:00:07.000Z",
    }
)


def file_bytes(db: Path) -> bytes:
    """The store file's bytes, and its write-ahead log's if one is left."""
    wal = db.with_name(db.name + ".wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_no_planted_number_anywhere_in_the_file(tmp_path, monkeypatch):
    db = tmp_path / "hashed.duckdb"
    first = write(tmp_path / "log.csv", CANONICAL)
    run_cli("ingest", str(first), "--db", str(db), "--hash-recipients", env=KEY)
    # A later ingest without the flag, of a file whose ids embed the number: hashed too.
    sinch = write(tmp_path / "sinch.ndjson", SINCH + "\n")
    run_cli("ingest", str(sinch), "--db", str(db), env=KEY)
    # And the dashboard's upload path (ingest_files on the store), which has the key from
    # its environment like the CLI.
    monkeypatch.setenv("DELIVERABILITY_RECIPIENT_SALT", KEY["DELIVERABILITY_RECIPIENT_SALT"])
    upload = write(tmp_path / "upload.csv", CANONICAL.replace("m1,", "u1,").replace("m2,", "u2,"))
    store = Store.open(db)
    try:
        assert store.hashes_recipients
        ingest_files(store, [upload])
        counts = store.con.execute(
            "SELECT (SELECT count(*) FROM sends), (SELECT count(*) FROM events), "
            "(SELECT count(*) FROM quarantine)"
        ).fetchone()
        ids = [
            r[0] for r in store.con.execute("SELECT message_id FROM events ORDER BY 1").fetchall()
        ]
        recipients = {r[0] for r in store.con.execute("SELECT recipient FROM messages").fetchall()}
    finally:
        store.close()
    assert counts == (3, 4, 4)
    # The same number hashes the same way in every file, in ids as in recipients.
    assert len(recipients) == 1 and next(iter(recipients)).startswith("h:")
    hashed = next(iter(recipients))
    assert f"01FC66621XXXXX119Z8PMV1QPQ:{hashed}" in ids
    data = file_bytes(db)
    assert PLANTED.encode() not in data
    assert PLANTED[-7:].encode() not in data
    for written in (b"415) 555", b"415.555", b"415 555"):
        assert written not in data
    assert (
        b"failed to \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa21111" in data
    )  # "failed to ••••1111"


def test_a_store_of_numbers_cannot_become_hashed(tmp_path):
    db = tmp_path / "plain.duckdb"
    log = write(tmp_path / "log.csv", CANONICAL)
    run_cli("ingest", str(log), "--db", str(db))
    proc = run_cli("ingest", str(log), "--db", str(db), "--hash-recipients", env=KEY, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"deliverability: {db} already holds recipients' numbers; hashing is chosen when a "
        "store is created: ingest into a new store with --hash-recipients"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DELIVERABILITY_RECIPIENT_SALT": ""}, "keeps recipients as keyed hashes: set"),
        ({"DELIVERABILITY_RECIPIENT_SALT": "another key"}, "is not the one"),
    ],
)
def test_a_hashed_store_refuses_a_missing_or_different_key(tmp_path, env, message):
    db = tmp_path / "hashed.duckdb"
    run_cli("ingest", str(write(tmp_path / "a.csv", CANONICAL)), "--db", str(db),
            "--hash-recipients", env=KEY)  # fmt: skip
    other = write(tmp_path / "b.csv", CANONICAL.replace("m1,", "b1,"))
    proc = run_cli("ingest", str(other), "--db", str(db), env=env, check=False)
    assert proc.returncode == 2 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (1,)
    con.close()


def test_the_key_can_come_from_a_key_file(tmp_path):
    key_file = write(tmp_path / "recipient.key", KEY["DELIVERABILITY_RECIPIENT_SALT"] + "\n")
    db = tmp_path / "hashed.duckdb"
    env = {"DELIVERABILITY_RECIPIENT_SALT": "", "DELIVERABILITY_RECIPIENT_SALT_FILE": str(key_file)}
    run_cli("ingest", str(write(tmp_path / "a.csv", CANONICAL)), "--db", str(db),
            "--hash-recipients", env=env)  # fmt: skip
    # The same key from the environment: accepted, the hashes agree.
    run_cli("ingest", str(write(tmp_path / "b.csv", CANONICAL.replace("m1,", "b1,"))),
            "--db", str(db), env=KEY)  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(DISTINCT recipient) FROM sends").fetchone() == (1,)
    # Nothing of the key itself is in the store: only a one-way check of it.
    assert KEY["DELIVERABILITY_RECIPIENT_SALT"].encode() not in file_bytes(db)
    con.close()


def test_ids_embedding_the_number_join_without_a_recipient(tmp_path):
    """Sends with recipients and a delivery log without them: both ids carry the same hash,
    so the message still has its send and its report."""
    db = tmp_path / "hashed.duckdb"
    run_cli("ingest", str(write(tmp_path / "sends.csv", SENDS_WITH_RECIPIENT)), "--db", str(db),
            "--hash-recipients", env=KEY)  # fmt: skip
    run_cli("ingest", str(write(tmp_path / "events.csv", EVENTS_WITHOUT_RECIPIENT)),
            "--db", str(db), env=KEY)  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT message_id, has_send, outcome FROM messages").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][1:] == (True, "delivered")
    assert rows[0][0].startswith("B1:h:")
    assert PLANTED.encode() not in file_bytes(db)
