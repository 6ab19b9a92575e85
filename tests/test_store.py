"""The store on real DuckDB files: accounting, dedupe, final status, atomicity, time zones."""

from __future__ import annotations

import duckdb
import pytest

from deliverability.store import SCHEMA_VERSION, Store
from tests.conftest import as_schema, cli_json, ingest, write

SENDS = """message_id,provider,channel,sent_at,sender,recipient,country,carrier,campaign,segments
a1,azure_acs,sms,2024-03-04T10:00:00Z,+18005550100,+14155552671,,AT&T,spring,1
a2,azure_acs,sms,2024-03-04T10:05:00Z,+18005550100,+14155552672,,Verizon,spring,1
s1,sfmc,sms,2024-03-04 04:00:00,12345,447700900123,,EE,promo,2
s2,sfmc,sms,not-a-time,12345,447700900124,,EE,promo,1
s3,sfmc,sms,2024-03-04T11:00:00Z,12345,447700900125,,,promo,x
,sfmc,sms,2024-03-04T11:00:00Z,12345,447700900126,,,promo,1
a1,azure_acs,sms,2024-03-04T10:00:00Z,+18005550100,+14155552671,,AT&T,spring,1
"""

EVENTS = """message_id,provider,channel,event_at,status_code,status_text,carrier
a1,azure_acs,sms,2024-03-04T10:00:09Z,2000,Delivered,
a2,azure_acs,sms,2024-03-04T10:05:07Z,4000,Fraud,
s1,sfmc,sms,2024-03-04T10:00:09Z,4000,Delivered,
s1,sfmc,sms,2024-03-04T10:00:03Z,2000,DeliveredToAggregator,
s1,sfmc,sms,2024-03-04T10:00:20Z,3000,Enroute,
x9,sinch,mms,2024-03-04T12:00:00Z,2000,Client error,
z1,azure_acs,sms,2024-03-04T12:00:00Z,8888,Mystery,
"""


@pytest.fixture
def loaded(store, tmp_path):
    sends = ingest(store, write(tmp_path / "sends.csv", SENDS), timezone="America/Chicago")
    events = ingest(store, write(tmp_path / "events.csv", EVENTS))
    return store, sends, events


def messages(store: Store) -> dict[tuple[str, str], dict]:
    frame = store.con.sql("SELECT * FROM messages").pl()
    return {(r["provider"], r["message_id"]): r for r in frame.to_dicts()}


def test_accounting_identity_with_bad_rows(loaded):
    _, sends, events = loaded
    assert (sends.rows_read, sends.loaded, sends.duplicates, sends.rejected) == (7, 3, 1, 3)
    assert (events.rows_read, events.loaded, events.duplicates, events.rejected) == (7, 7, 0, 0)
    for r in (sends, events):
        assert r.rows_read == r.loaded + r.duplicates + r.rejected


def test_quarantine_names_line_and_reason(loaded):
    store, _, _ = loaded
    rows = store.con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert rows == [
        (5, "unparseable sent_at not-a-time"),
        (6, "segments is not a number: x"),
        (7, "missing message_id"),
    ]


def test_final_status_ignores_late_interim_event(loaded):
    store, _, _ = loaded
    m = messages(store)
    # s1: 2000 (aggregator, final) at :03, 4000 (delivered) at :09, late 3000 (enroute) at :20
    assert m[("sfmc", "s1")]["code"] == "4000"
    assert m[("sfmc", "s1")]["outcome"] == "delivered"


def test_same_number_means_different_things_per_provider(loaded):
    store, _, _ = loaded
    m = messages(store)
    assert m[("azure_acs", "a1")]["outcome"] == "delivered"  # Azure 2000
    assert m[("azure_acs", "a2")]["category"] == "carrier_filtered"  # Azure 4000 fraud
    assert m[("sfmc", "s1")]["outcome"] == "delivered"  # SFMC 4000
    assert m[("sinch", "x9")]["outcome"] == "failed"  # Sinch MM7 2000 client error


def test_receipts_without_send_and_uncatalogued_codes(loaded):
    store, _, _ = loaded
    m = messages(store)
    assert m[("sinch", "x9")]["has_send"] is False
    assert m[("azure_acs", "z1")]["outcome"] == "unknown"
    assert m[("azure_acs", "z1")]["category"] == "uncatalogued"
    # sends with no receipt: none here, a1/a2/s1 all have one
    unknown = store.con.execute(
        "SELECT count(*) FROM messages WHERE outcome = 'no_report'"
    ).fetchone()[0]
    assert unknown == 0


def test_uncatalogued_events_follow_the_catalog(db_path, tmp_path):
    # z1's 8888 is unknown until an extra catalog file names it, and again once it is gone.
    def uncatalogued(store):
        return store.con.execute(
            "SELECT message_id, status_code FROM uncatalogued_events ORDER BY ALL"
        ).fetchall()

    store = Store.open(db_path)
    ingest(store, write(tmp_path / "events.csv", EVENTS))
    assert uncatalogued(store) == [("z1", "8888")]
    store.close()
    extra = write(
        tmp_path / "extra.csv",
        "provider,channel,code,variant,name,outcome,category,final,retryable\n"
        "azure_acs,sms,8888,0,Our own code,failed,carrier_filtered,true,false\n",
    )
    store = Store.open(db_path, catalog_extra=extra)
    assert uncatalogued(store) == []
    assert messages(store)[("azure_acs", "z1")]["category"] == "carrier_filtered"
    store.close()
    store = Store.open(db_path)
    assert uncatalogued(store) == [("z1", "8888")]
    store.close()


def test_no_report_without_events(store, tmp_path):
    ingest(store, write(tmp_path / "sends.csv", SENDS))
    m = messages(store)
    assert {r["outcome"] for r in m.values()} == {"no_report"}
    assert len(m) == 3


def test_country_from_number_and_timezone(loaded):
    store, _, _ = loaded
    m = messages(store)
    assert m[("azure_acs", "a1")]["country"] == "US"
    assert m[("sfmc", "s1")]["country"] == "GB"
    assert m[("sfmc", "s1")]["recipient"] == "+447700900123"
    # naive 04:00 in America/Chicago (CST, UTC-6 in March before DST) is 10:00 UTC
    assert str(m[("sfmc", "s1")]["sent_at"]) == "2024-03-04 10:00:00"
    # an explicit offset wins over --timezone
    assert str(m[("azure_acs", "a1")]["sent_at"]) == "2024-03-04 10:00:00"


def test_reingest_and_overlap_add_nothing(loaded, tmp_path):
    store, _, _ = loaded
    before = store.con.execute("SELECT count(*) FROM events").fetchone()[0]
    again = ingest(store, tmp_path / "events.csv")
    assert again.already_ingested and again.loaded == 0 and again.duplicates == 7
    overlap = write(
        tmp_path / "overlap.csv",
        EVENTS.splitlines()[0]
        + "\n"
        + "\n".join(EVENTS.splitlines()[1:3])
        + "\nn1,azure_acs,sms,2024-03-05T00:00:00Z,2000,Delivered,\n",
    )
    result = ingest(store, overlap)
    assert (result.rows_read, result.loaded, result.duplicates) == (3, 1, 2)
    assert store.con.execute("SELECT count(*) FROM events").fetchone()[0] == before + 1


def test_failed_ingest_leaves_store_untouched(loaded, tmp_path):
    store, _, _ = loaded
    tables = ("sends", "events", "messages", "quarantine", "ingests", "meta")
    before = {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    broken = write(tmp_path / "broken.csv", "message_id,provider,status_code\nq,azure_acs,2000\n")
    result = ingest(store, broken)
    assert result.errors and "missing required column" in result.errors[0]
    assert "broken.csv" in result.errors[0]
    after = {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    assert before == after


def test_schema_version_recorded(store):
    assert store.meta("schema_version") == str(SCHEMA_VERSION)


def test_newer_schema_refused(db_path):
    Store.open(db_path).close()
    as_schema(db_path, 999)
    with pytest.raises(RuntimeError, match="schema version 999"):
        Store.open(db_path)


def test_a_store_of_schema_14_gains_the_latency_rollup(loaded, db_path):
    store, _, _ = loaded
    latencies = store.con.execute("SELECT * FROM rollup_latency_day ORDER BY ALL").fetchall()
    assert latencies
    store.close()
    as_schema(db_path, 14, "DROP TABLE rollup_latency_day")
    reopened = Store.open(db_path)
    try:
        assert reopened.meta("schema_version") == "15"
        found = reopened.con.execute("SELECT * FROM rollup_latency_day ORDER BY ALL").fetchall()
        assert found == latencies
    finally:
        reopened.close()


def test_older_stores_are_migrated_on_open(loaded, db_path):
    store, _, _ = loaded
    days = store.con.execute("SELECT * FROM event_code_days ORDER BY ALL").fetchall()
    unknown = store.con.execute("SELECT * FROM uncatalogued_events ORDER BY ALL").fetchall()
    assert [row[:2] for row in unknown] == [("azure_acs", "z1")]
    # Every (provider, channel, code, upstream) of the events on each day, with its count:
    # x9 is sinch mms.
    keys = {row[1:6] for row in days}
    assert len(keys) == 7 and ("sinch", "mms", "2000", None, None) in keys
    events = store.con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    assert sum(row[6] for row in days) == events
    latencies = store.con.execute("SELECT * FROM rollup_latency_day ORDER BY ALL").fetchall()
    assert latencies
    store.close()
    # A version 1 store: no rollups, no code days (tables made empty by schema.sql).
    as_schema(
        db_path,
        1,
        "DELETE FROM event_code_days; DELETE FROM uncatalogued_events",
        "DELETE FROM rollup_code_hour; DROP TABLE rollup_latency_day",
        "ALTER TABLE ingests DROP COLUMN replaced_by; ALTER TABLE ingests DROP COLUMN content_hash; "
        "ALTER TABLE ingests DROP COLUMN read_kind; "
        "ALTER TABLE codes DROP COLUMN advice_from; ALTER TABLE codes DROP COLUMN link; "
        "ALTER TABLE alert_rules DROP COLUMN checked_ingest; "
        "ALTER TABLE alert_rules DROP COLUMN checked_ingest_at; "
        "ALTER TABLE alert_rules DROP COLUMN retry_from; DROP TABLE row_fingerprints",
    )
    reopened = Store.open(db_path)
    try:
        assert reopened.meta("schema_version") == str(SCHEMA_VERSION) == "15"
        # Rows loaded before version 14 have no fingerprints: none is made up.
        assert reopened.con.execute("SELECT count(*) FROM row_fingerprints").fetchall() == [(0,)]
        columns = {r[0] for r in reopened.con.execute("DESCRIBE ingests").fetchall()}
        assert {"content_hash", "read_kind", "replaced_by"} <= columns
        rules = {r[0] for r in reopened.con.execute("DESCRIBE alert_rules").fetchall()}
        assert {"checked_ingest", "checked_ingest_at", "retry_from"} <= rules
        code_columns = {r[0] for r in reopened.con.execute("DESCRIBE codes").fetchall()}
        assert {"advice_from", "link"} <= code_columns
        assert reopened.con.execute("SELECT * FROM event_code_days ORDER BY ALL").fetchall() == days
        found = reopened.con.execute("SELECT * FROM uncatalogued_events ORDER BY ALL").fetchall()
        assert found == unknown
        hours = reopened.con.execute("SELECT sum(messages) FROM rollup_code_hour").fetchall()
        assert hours == [(5,)]
        # Version 15's latency rollup, counted once from the messages.
        found = reopened.con.execute("SELECT * FROM rollup_latency_day ORDER BY ALL").fetchall()
        assert found == latencies
    finally:
        reopened.close()
    # A version 3 store: its code keys without days (event_code_keys) give way to the days,
    # and it had no copy of the uncatalogued events.
    as_schema(
        db_path,
        3,
        "DELETE FROM event_code_days; DROP TABLE uncatalogued_events",
        "CREATE TABLE event_code_keys AS SELECT DISTINCT provider, channel, status_code, "
        "upstream_provider, upstream_code FROM events",
    )
    reopened = Store.open(db_path)
    try:
        assert reopened.meta("schema_version") == str(SCHEMA_VERSION)
        assert reopened.con.execute("SELECT * FROM event_code_days ORDER BY ALL").fetchall() == days
        tables = {
            r[0] for r in reopened.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        assert "event_code_keys" not in tables
        found = reopened.con.execute("SELECT * FROM uncatalogued_events ORDER BY ALL").fetchall()
        assert found == unknown
    finally:
        reopened.close()


# ------------------------------------------------------------------------------------------
# Several files in one ingest: messages derived once, by the last file


def store_tables(path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "messages": con.execute("SELECT * FROM messages ORDER BY ALL").fetchall(),
            "rollup_code_hour": con.execute(
                "SELECT * FROM rollup_code_hour ORDER BY ALL"
            ).fetchall(),
            "rollup_dims_day": con.execute("SELECT * FROM rollup_dims_day ORDER BY ALL").fetchall(),
            "rollup_latency_day": con.execute(
                "SELECT * FROM rollup_latency_day ORDER BY ALL"
            ).fetchall(),
            "pending": con.execute(
                "SELECT count(DISTINCT (provider, message_id)) FROM pending_refresh"
            ).fetchall()[0][0],
        }
    finally:
        con.close()


@pytest.mark.slow
def test_one_ingest_of_several_files_derives_what_separate_ingests_do(tmp_path):
    sends, events = write(tmp_path / "sends.csv", SENDS), write(tmp_path / "events.csv", EVENTS)
    together, apart = tmp_path / "together.duckdb", tmp_path / "apart.duckdb"
    out = cli_json("ingest", "--db", str(together), str(sends), str(events))
    assert out["totals"] == {"rows_read": 14, "loaded": 10, "duplicates": 1, "rejected": 3}
    cli_json("ingest", "--db", str(apart), str(sends))
    cli_json("ingest", "--db", str(apart), str(events))
    derived = store_tables(together)
    assert derived == store_tables(apart)
    assert len(derived["messages"]) == 5 and derived["pending"] == 0


@pytest.mark.parametrize("store_had_messages", [False, True])
def test_a_batch_stopped_half_way_is_finished_when_the_store_opens(
    tmp_path, db_path, store_had_messages
):
    # The first file of a batch commits its rows and leaves its messages to derive, as when
    # the process dies before the next file: the next open derives them. A store with
    # messages lists the ones to derive (pending_refresh); a store with none lists nothing,
    # because its first derivation takes every message.
    from deliverability.ingest import ingest_file

    before = {"messages": []}
    if store_had_messages:
        store = Store.open(db_path)
        ingest(store, write(tmp_path / "sends.csv", SENDS), timezone="America/Chicago")
        store.close()
        before = store_tables(db_path)
        assert len(before["messages"]) == 3  # a1, a2, s1 (the other rows are rejected)
    store = Store.open(db_path)
    result = ingest_file(store, write(tmp_path / "events.csv", EVENTS), defer_refresh=True)
    assert result.loaded == 7
    store.close()
    halfway = store_tables(db_path)
    assert halfway["messages"] == before["messages"]
    assert halfway["pending"] == (5 if store_had_messages else 0)
    Store.open(db_path).close()
    finished = store_tables(db_path)
    assert finished["pending"] == 0
    assert len(finished["messages"]) == 5  # a1, a2, s1, x9, z1 (s1 has three events)
    assert sum(r[-1] for r in finished["rollup_code_hour"]) == len(finished["messages"])
    outcomes = {r[1]: r[17] for r in finished["messages"]}
    assert outcomes["a1"] == "delivered" and outcomes["z1"] == "unknown"


class StopThePage(Exception):
    """What Streamlit raises from a progress call when the user stops or reruns the page."""


def test_a_batch_stopped_by_its_caller_still_derives_the_files_it_loaded(tmp_path, db_path):
    from deliverability.ingest import ingest_files

    sends, events = write(tmp_path / "sends.csv", SENDS), write(tmp_path / "events.csv", EVENTS)

    def stop_before_the_second_file(index: int) -> None:
        if index == 1:
            raise StopThePage

    store = Store.open(db_path)
    with pytest.raises(StopThePage):
        ingest_files(store, [events, sends], on_file=stop_before_the_second_file)
    store.close()
    # No reopen in between: ingest_files itself derived what the first file deferred.
    after = store_tables(db_path)
    assert after["pending"] == 0
    assert len(after["messages"]) == 5
    assert sum(r[-1] for r in after["rollup_code_hour"]) == 5


# ------------------------------------------------------------------------------------------
# Derivation in slices: a large batch is derived a slice of messages at a time, either every
# message (a store with none yet) or the ones listed; every way gives the same tables.


@pytest.fixture(scope="module")
def generated_logs(tmp_path_factory):
    from benchmarks.generate import generate

    out = tmp_path_factory.mktemp("generated")
    manifest = generate(6_000, out, seed=7, native=False)
    return out / "sends.csv", out / "events.csv", manifest


@pytest.mark.parametrize(
    "order, slice_size",
    [
        ("together", 1_000),  # every message, ~6 slices by hash
        ("sends then events", 1_000),  # the events' messages listed, in slices
        ("events then sends", 1_000),
        ("sends then events", 10**9),
    ],
)
def test_derivation_in_slices_matches_one_slice(
    generated_logs, tmp_path, monkeypatch, order, slice_size
):
    from deliverability import derive
    from deliverability.ingest import ingest_files

    sends, events, manifest = generated_logs
    reference = tmp_path / "reference.duckdb"
    store = Store.open(reference)
    ingest_files(store, [sends, events])  # one slice: 6,000 messages
    store.close()
    expected = store_tables(reference)
    assert len(expected["messages"]) == manifest["messages"] == 6_000
    assert sum(r[-1] for r in expected["rollup_code_hour"]) == 6_000

    monkeypatch.setattr(derive, "REFRESH_SLICE", slice_size)
    sliced = tmp_path / "sliced.duckdb"
    store = Store.open(sliced)
    if order == "together":
        ingest_files(store, [sends, events])
    else:
        first, second = (sends, events) if order == "sends then events" else (events, sends)
        ingest_files(store, [first])
        ingest_files(store, [second])
    store.close()
    assert store_tables(sliced) == expected


FORWARD = [
    # (Salesforce codes in time order, the message's code and outcome)
    (["1000", "2000"], ("2000", "unconfirmed")),
    (["1000", "2000", "3001"], ("3001", "pending")),
    (["2000", "4000"], ("4000", "delivered")),
    (["1000", "4000", "3001"], ("4000", "delivered")),
    (["2000", "4500"], ("4500", "failed")),
]


@pytest.mark.parametrize(("codes", "expected"), FORWARD, ids=["-".join(c) for c, _ in FORWARD])
def test_a_provisional_final_status_gives_way_to_later_progress(store, tmp_path, codes, expected):
    """2000 (handed to the aggregator) is final only when nothing further comes; delivered
    and failed are final whatever arrives after them."""
    rows = [f"m1,sfmc,sms,2024-03-04T10:00:0{i}Z,{code},," for i, code in enumerate(codes)]
    ingest(
        store,
        write(tmp_path / "events.csv", EVENTS.splitlines()[0] + "\n" + "\n".join(rows) + "\n"),
    )
    row = messages(store)[("sfmc", "m1")]
    assert (row["code"], row["outcome"]) == expected


def test_a_version_5_store_is_derived_again_by_the_provisional_final_rule(store, db_path, tmp_path):
    rows = [
        f"m1,sfmc,sms,2024-03-04T10:00:0{i}Z,{code},,"
        for i, code in enumerate(("1000", "2000", "3001"))
    ]
    ingest(
        store,
        write(tmp_path / "events.csv", EVENTS.splitlines()[0] + "\n" + "\n".join(rows) + "\n"),
    )
    store.close()
    # What version 5 stored for it: 2000 DeliveredToAggregator held against later progress.
    as_schema(
        db_path,
        5,
        "UPDATE messages SET code = '2000', outcome = 'unconfirmed', category = 'unconfirmed'",
    )
    reopened = Store.open(db_path)
    try:
        assert reopened.meta("schema_version") == str(SCHEMA_VERSION)
        row = messages(reopened)[("sfmc", "m1")]
        assert (row["code"], row["outcome"]) == ("3001", "pending")
        counts = reopened.con.execute(
            "SELECT outcome, sum(messages) FROM rollup_code_hour GROUP BY 1"
        ).fetchall()
        assert counts == [("pending", 1)]
    finally:
        reopened.close()
