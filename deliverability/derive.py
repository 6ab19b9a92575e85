"""Deriving messages: each message's final status from its send and events, and the rollups
of the hours it touches. The store runs these inside an ingest's or a catalog change's
transaction; the rules themselves are deliverability/sql/refresh_*.sql and rollups.sql.
"""

from __future__ import annotations

import duckdb

from deliverability.sql_files import sql_text

# Messages derived per slice when an ingest touches many (see refresh_messages).
REFRESH_SLICE = 2_000_000


def refresh_messages(con: duckdb.DuckDBPyConnection) -> None:
    """Re-derive the messages listed in TEMP table `affected(provider, message_id)` (a
    message may be listed more than once), and the rollups of the hours they were and
    are in. Whatever earlier files of a batch deferred (pending_refresh) is derived too.
    In a store with no messages yet, every message is derived and nothing need be listed.

    Many messages at once (a big file) are derived in slices of about REFRESH_SLICE: the
    joins of one slice fit in DuckDB's memory limit, where all of them at once would
    spill and slow down, or fail. Same transaction, same result.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE touched_all (hour TIMESTAMP)")
    if has_messages(con):
        _derive_listed(con)
    else:
        # Nothing derived yet, so every message in sends and events is to be derived,
        # whatever the lists say (a store's first ingest, which lists nothing).
        con.execute("DROP TABLE IF EXISTS affected; DELETE FROM pending_refresh")
        _derive_everything(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched_hours AS SELECT DISTINCT hour FROM touched_all"
    )
    con.execute("DROP TABLE touched_all")
    con.execute(sql_text("rollups.sql"))


def refresh_pending_messages(con: duckdb.DuckDBPyConnection) -> None:
    """Derive the messages left in pending_refresh (refresh_messages with nothing else
    listed)."""
    con.execute("CREATE OR REPLACE TEMP TABLE affected (provider VARCHAR, message_id VARCHAR)")
    refresh_messages(con)


def _slices(con: duckdb.DuckDBPyConnection, keys_sql: str) -> int:
    """How many slices for the messages of KEYS_SQL (one of our fixed texts), from an
    estimate (approx_count_distinct errs by a few percent; counting exactly would cost
    a de-duplication)."""
    estimate = con.execute(
        f"SELECT approx_count_distinct(hash(provider, message_id)) FROM ({keys_sql})"  # noqa: S608
    ).fetchone()[0]
    return max(1, -(-int(estimate) // int(REFRESH_SLICE * 1.05)))


def _derive_slice(con: duckdb.DuckDBPyConnection, input_sql: str, write_sql: str) -> None:
    """refresh_messages.sql on the affected_events and affected_sends INPUT_SQL makes, its
    rows written by WRITE_SQL."""
    con.execute(sql_text(input_sql))
    con.execute(sql_text("refresh_messages.sql"))
    con.execute(sql_text(write_sql))


def _derive_listed(con: duckdb.DuckDBPyConnection) -> None:
    """The messages in `affected` and pending_refresh, each once, in slices."""
    con.execute("ALTER TABLE affected RENAME TO affected_listed")
    if con.execute("SELECT count(*) FROM pending_refresh").fetchall()[0][0]:
        every_row = (
            "SELECT provider, message_id FROM affected_listed "
            "UNION ALL SELECT provider, message_id FROM pending_refresh"
        )
        each_once = (
            "SELECT provider, message_id FROM affected_listed "
            "UNION SELECT provider, message_id FROM pending_refresh"
        )
    else:
        every_row = "SELECT provider, message_id FROM affected_listed"
        each_once = "SELECT DISTINCT provider, message_id FROM affected_listed"
    slices = _slices(con, every_row)
    # Each message once, with its slice (each_once: one of the fixed texts above).
    sliced = (
        "CREATE OR REPLACE TEMP TABLE affected_all AS "  # noqa: S608
        "SELECT provider, message_id, hash(provider, message_id) % $n AS slice "
        f"FROM ({each_once})"
    )
    con.execute(sliced, {"n": slices})
    con.execute("DELETE FROM pending_refresh")
    for i in range(slices):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE affected AS "
            "SELECT provider, message_id FROM affected_all WHERE slice = $i",
            {"i": i},
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE known_messages AS "
            "SELECT provider, message_id, message_at FROM messages "
            "SEMI JOIN affected USING (provider, message_id)"
        )
        _derive_slice(con, "refresh_input_listed.sql", "refresh_write_listed.sql")
        con.execute("INSERT INTO touched_all SELECT hour FROM touched_hours")
    con.execute(
        "DROP VIEW derived_rows; DROP TABLE derived; DROP TABLE affected_events; "
        "DROP TABLE affected_sends; DROP TABLE affected_listed; DROP TABLE affected_all; "
        "DROP TABLE known_messages"
    )


def _derive_everything(con: duckdb.DuckDBPyConnection) -> None:
    """Every message in sends and events, into a store that has none, in slices by hash."""
    slices = _slices(
        con,
        "SELECT provider, message_id FROM sends UNION ALL SELECT provider, message_id FROM events",
    )
    con.execute(f"SET VARIABLE slices = {int(slices)}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE known_messages "
        "(provider VARCHAR, message_id VARCHAR, message_at TIMESTAMP)"
    )
    for i in range(slices):
        con.execute(f"SET VARIABLE slice = {int(i)}")
        _derive_slice(con, "refresh_input_slice.sql", "refresh_write_new.sql")
    # Every message is new: the hours to re-count are all of theirs.
    con.execute(
        "INSERT INTO touched_all SELECT DISTINCT date_trunc('hour', message_at) FROM messages"
    )
    con.execute(
        "DROP VIEW derived_rows; DROP VIEW affected_sends; DROP VIEW affected_events; "
        "DROP TABLE event_only; DROP TABLE known_messages; "
        "RESET VARIABLE slices; RESET VARIABLE slice"
    )


def has_messages(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether anything was ever derived: until then, a derivation derives everything."""
    return bool(con.execute("SELECT EXISTS (FROM messages)").fetchall()[0][0])


def derivation_pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether committed sends or events wait to be derived: listed in pending_refresh,
    or in a store with no messages yet, whose first files list nothing (the derivation
    that follows takes every message)."""
    return bool(
        con.execute(
            "SELECT EXISTS (FROM pending_refresh) OR (NOT EXISTS (FROM messages) "
            "AND (EXISTS (FROM sends) OR EXISTS (FROM events)))"
        ).fetchall()[0][0]
    )


def find_uncatalogued_events(con: duckdb.DuckDBPyConnection) -> None:
    """Copy afresh the events whose code the catalog does not know (uncatalogued_events):
    when the catalog changed, and once for a store from before the table."""
    con.execute("DELETE FROM uncatalogued_events")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW events_to_check AS SELECT provider, message_id, "
        "channel, event_at, status_code, status_text, upstream_provider, upstream_code "
        "FROM events"
    )
    con.execute("CREATE OR REPLACE TEMP VIEW keys_to_check AS SELECT * FROM event_code_days")
    con.execute(sql_text("uncatalogued_events.sql"))
    con.execute("DROP VIEW events_to_check; DROP VIEW keys_to_check")


def rebuild_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Count the rollups afresh from every message (schema migrations 1 -> 2, 14 -> 15)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched_hours AS "
        "SELECT DISTINCT date_trunc('hour', message_at) AS hour FROM messages"
    )
    con.execute(sql_text("rollups.sql"))


def refresh_all_messages(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE affected AS "
        "SELECT provider, message_id FROM sends UNION ALL SELECT provider, message_id FROM events"
    )
    refresh_messages(con)


def retract_ingests(con: duckdb.DuckDBPyConnection, ingest_ids: list[int]) -> None:
    """Take back the rows INGEST_IDS loaded (retract_ingests.sql): their file is being
    ingested again with other options. The messages they touched that keep other rows are
    left in pending_refresh, for the derivation that ends the new ingest."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE retracted_ingests AS SELECT unnest($ids) AS ingest_id",
        {"ids": [int(i) for i in ingest_ids]},
    )
    con.execute(sql_text("retract_ingests.sql"))
    con.execute(sql_text("rollups.sql"))
    con.execute("DROP TABLE retracted_ingests")
