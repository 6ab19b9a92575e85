"""Rows a store has loaded before, value for value, are set aside as duplicates before they are
typed (deliverability/known_rows.py). Whatever is set aside, the store must end exactly as an
ingest that typed every row would leave it: each sequence of files below goes into two real
stores, one of which forgets its fingerprints before every ingest, and every table must be
the same in both."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest

from deliverability.ingest import ingest_file
from deliverability.known_rows import set_aside_known_rows
from deliverability.readers import choose_reader
from deliverability.readers.base import ReadOptions, sniff
from deliverability.store import Store
from tests.conftest import run_cli, write

SENDS = """message_id,provider,channel,sent_at,sender,recipient,country,carrier,campaign,segments
a1,azure_acs,sms,2024-03-04T10:00:00Z,+18005550100,+14155552671,,AT&T,spring,1
a2,azure_acs,sms,2024-03-04T10:05:00Z,+18005550100,+14155552672,,Verizon,spring,1
s1,sfmc,sms,2024-03-04 04:00:00,12345,447700900123,,EE,promo,2
s2,sfmc,sms,not-a-time,12345,447700900124,,EE,promo,1
a1,azure_acs,sms,2024-03-04T10:00:00Z,+18005550100,+14155552671,,T-Mobile,spring,1
"""

EVENTS = """message_id,provider,channel,event_at,status_code,status_text,carrier
a1,azure_acs,sms,2024-03-04T10:00:09Z,2000,Delivered,
a2,azure_acs,sms,2024-03-04T10:05:07Z,4000,Fraud,
s1,sfmc,sms,2024-03-04 10:00:09,4000,Delivered,
s1,sfmc,sms,,2000,DeliveredToAggregator,
x9,sinch,mms,2024-03-04T12:00:00Z,2000,Client error,
"""

# The next day's cumulative export: yesterday's rows again, then new ones (a new event, a
# repeat of it with another text that must lose to the first, and a row to reject).
NEW_EVENTS = """a3,azure_acs,sms,2024-03-05T09:00:09Z,2000,Delivered,AT&T
a3,azure_acs,sms,2024-03-05T09:00:09Z,2000,Delivered again,Verizon
a4,azure_acs,sms,not-a-time,4000,Failed,
"""
RECEIVED = datetime(2024, 3, 6, 8, 0)


def reexport(source: Path, target: Path, extra_lines: str = "") -> Path:
    """SOURCE's rows with its columns in reverse order (another file, the same rows), and
    EXTRA_LINES (in SOURCE's column order) after them."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    rows += list(csv.reader(io.StringIO(extra_lines)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([row[::-1] for row in rows])
    return write(target, out.getvalue())


def tables(store: Store) -> dict[str, list]:
    """Every table an ingest writes, in a stable order (the ledger without its clock)."""
    con = store.con
    return {
        name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()  # noqa: S608
        for name in (
            "sends",
            "events",
            "messages",
            "quarantine",
            "rollup_code_hour",
            "rollup_dims_day",
            "rollup_latency_day",
            "event_code_days",
            "uncatalogued_events",
        )  # fmt: skip
    } | {
        "ingests": con.execute(
            "SELECT * EXCLUDE (started_at, finished_at) FROM ingests ORDER BY ingest_id"
        ).fetchall()
    }


@pytest.fixture
def twins(tmp_path):
    """A store that keeps its fingerprints, and one that forgets them before every ingest."""
    keeps, forgets = Store.open(tmp_path / "keeps.duckdb"), Store.open(tmp_path / "forgets.duckdb")
    yield keeps, forgets
    keeps.close()
    forgets.close()


def ingest_both(twins, path: Path, **options):
    keeps, forgets = twins
    forgets.con.execute("DELETE FROM row_fingerprints")
    # The receipt time dates an event with no time of its own: the same in both stores.
    options.setdefault("received_at", RECEIVED)
    kept = ingest_file(keeps, path, ReadOptions(**options))
    typed = ingest_file(forgets, path, ReadOptions(**options))
    assert kept.as_dict() == typed.as_dict()
    return kept


def fingerprints(store: Store) -> int:
    return store.con.execute("SELECT count(*) FROM row_fingerprints").fetchall()[0][0]


def test_a_reexport_is_all_duplicates_and_changes_nothing(twins, tmp_path):
    sends = write(tmp_path / "sends.csv", SENDS)
    events = write(tmp_path / "events.csv", EVENTS)
    ingest_both(twins, sends, timezone="America/Chicago")
    ingest_both(twins, events, timezone="America/Chicago")
    before = tables(twins[0])
    listed = fingerprints(twins[0])
    # 3 sends loaded (a1's repeat is a duplicate, s2 rejected) and 5 events.
    assert listed == 8

    again = ingest_both(
        twins, reexport(sends, tmp_path / "sends-again.csv"), timezone="America/Chicago"
    )
    assert (again.rows_read, again.loaded, again.duplicates, again.rejected) == (5, 0, 4, 1)
    assert (again.kind, again.provider) == ("sends", "azure_acs,sfmc")
    after = tables(twins[0])
    assert after == tables(twins[1])
    assert {k: v for k, v in after.items() if k not in ("ingests", "quarantine")} == {
        k: v for k, v in before.items() if k not in ("ingests", "quarantine")
    }
    # The rejected row is quarantined again, with its line in the new file.
    assert [r[2] for r in after["quarantine"] if r[1] == "sends-again.csv"] == [5]

    events_again = ingest_both(
        twins, reexport(events, tmp_path / "events-again.csv"), timezone="America/Chicago"
    )
    assert (events_again.rows_read, events_again.duplicates, events_again.kind) == (5, 5, "events")
    assert tables(twins[0]) == tables(twins[1])
    assert fingerprints(twins[0]) == listed


def test_a_cumulative_export_loads_only_its_new_rows(twins, tmp_path):
    events = write(tmp_path / "events.csv", EVENTS)
    ingest_both(twins, events, timezone="America/Chicago")
    cumulative = reexport(events, tmp_path / "events-cumulative.csv", NEW_EVENTS)
    result = ingest_both(twins, cumulative, timezone="America/Chicago")
    # 8 rows: yesterday's 5 set aside, a3 loaded, its repeat a duplicate, a4 rejected.
    assert (result.rows_read, result.loaded, result.duplicates, result.rejected) == (8, 1, 6, 1)
    keeps = tables(twins[0])
    assert keeps == tables(twins[1])
    a3 = [(r[3], r[5], r[6]) for r in keeps["events"] if r[1] == "a3"]
    assert a3 == [(datetime(2024, 3, 5, 9, 0, 9), "Delivered", "AT&T")]  # the first row kept
    lines = [r[2] for r in keeps["quarantine"] if r[1] == "events-cumulative.csv"]
    assert lines == [9]


@pytest.mark.parametrize(
    "options",
    [
        # Naive times read in another zone are other times: s1's first event is new.
        {"timezone": "Europe/London"},
        # The receipt dates an event with no time of its own: s1's second event is new.
        {"timezone": "America/Chicago", "received_at": datetime(2024, 3, 7, 8, 0)},
    ],
)
def test_other_options_are_other_rows(twins, tmp_path, options):
    events = write(tmp_path / "events.csv", EVENTS)
    ingest_both(twins, events, timezone="America/Chicago")
    result = ingest_both(twins, reexport(events, tmp_path / "events-again.csv"), **options)
    assert (result.rows_read, result.loaded, result.duplicates) == (5, 1, 4)
    assert tables(twins[0]) == tables(twins[1])


def test_a_malformed_line_among_known_rows_is_quarantined(twins, tmp_path):
    events = write(tmp_path / "events.csv", EVENTS)
    ingest_both(twins, events, timezone="America/Chicago")
    again = reexport(events, tmp_path / "events-again.csv")
    write(again, again.read_text(encoding="utf-8") + "only,three,fields\n")
    result = ingest_both(twins, again, timezone="America/Chicago")
    assert (result.rows_read, result.duplicates, result.rejected) == (6, 5, 1)
    keeps = tables(twins[0])
    assert keeps == tables(twins[1])
    assert [r[2] for r in keeps["quarantine"] if r[1] == "events-again.csv"] == [7]


def test_known_rows_are_set_aside_before_typing(store, tmp_path):
    """What typing gets: only the rows the store does not know, in file order, with their
    lines in the file."""
    events = write(tmp_path / "events.csv", EVENTS)
    opts = ReadOptions(timezone="America/Chicago", received_at=RECEIVED)
    ingest_file(store, events, opts)
    cumulative = reexport(events, tmp_path / "events-cumulative.csv", NEW_EVENTS)
    con = store.cursor()
    try:
        sniffed = sniff(cumulative, 10**8)
        choose_reader(sniffed, None, mapped=False).stage(con, sniffed, opts)
        typing = {"tz": opts.timezone, "received_at": opts.received_at}
        known = set_aside_known_rows(con, typing, staged_as_view=True)
        assert (known.count, known.every_row, known.has_event) == (5, False, True)
        left = con.execute("SELECT line, message_id FROM stage").fetchall()
        assert left == [(7, "a3"), (8, "a3"), (9, "a4")]
    finally:
        con.close()


def test_taking_rows_back_forgets_every_fingerprint(store, tmp_path):
    sends = write(tmp_path / "sends.csv", SENDS)
    ingest_file(store, sends, ReadOptions(timezone="America/Chicago"))
    assert fingerprints(store) == 3
    # The same file with another option replaces the first reading (retract_ingests.sql).
    again = ingest_file(store, sends, ReadOptions(timezone="Europe/London"))
    assert again.replaced and again.loaded == 3
    assert fingerprints(store) == 3  # this reading's rows only


@pytest.mark.slow
def test_a_hashed_store_keeps_no_fingerprint(tmp_path):
    db = tmp_path / "hashed.duckdb"
    sends = write(tmp_path / "sends.csv", SENDS)
    env = {"DELIVERABILITY_RECIPIENT_SALT": "a-long-random-key-for-tests"}
    run_cli("ingest", str(sends), "--db", str(db), "--hash-recipients", env=env)
    run_cli("ingest", str(reexport(sends, tmp_path / "again.csv")), "--db", str(db), env=env)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM row_fingerprints").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM sends").fetchall() == [(3,)]
    finally:
        con.close()
