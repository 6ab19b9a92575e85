"""Rows a store has loaded before, told apart before they are typed.

A store keeps the fingerprint of every row an ingest loaded (table row_fingerprints): a hash
of the values the reader staged, before any typing, with the options that type them (the
time zone for naive times; the time the file was received, for an event with no time of
its own). The same values read with the same options type to the same sends and events, so
a staged row whose fingerprint is listed is a duplicate. A re-export of rows ingested before
(another file, so another file fingerprint; a cumulative export that repeats yesterday's
rows) is set aside here, before typing, the costliest step of an ingest.

The fingerprint is two 64-bit hashes (one of the values, one of their joined text): a row
wrongly set aside would be lost without a word, and 128 bits make that as unlikely as it
gets. The list is emptied whenever ingests are taken back, since their rows' promise no
longer holds, and a hashed store keeps none (the staged values hold the numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from deliverability.sql_files import sql_text

# The rows of a file read first to tell whether it repeats stored rows at all: a new file
# pays for these, not for fingerprinting the whole of it apart from its typing.
SAMPLE = "CREATE OR REPLACE TEMP VIEW stage_rows AS SELECT * FROM stage LIMIT 1000"


@dataclass
class KnownRows:
    """The rows of a file set aside as loaded before: how many, and what they were."""

    count: int = 0
    # Every row of the file: nothing is left to type.
    every_row: bool = False
    has_send: bool = False
    has_event: bool = False
    providers: list[str] = field(default_factory=list)
    # Events with no time of their own, dated by the file's receipt (as typing counts them).
    dated_by_receipt: int = 0


def set_aside_known_rows(
    con: duckdb.DuckDBPyConnection, params: dict, staged_as_view: bool
) -> KnownRows:
    """Make TEMP view `stage` the staged rows the store has not loaded before (in file
    order, each with its line), when the file's first rows show it repeats stored ones.
    PARAMS: ingest_typed.sql's ($tz, $received_at). Leaves `stage` as it was otherwise."""
    if not con.execute("SELECT EXISTS (FROM row_fingerprints)").fetchall()[0][0]:
        return KnownRows()
    _fingerprint(con, params, sample=True)
    if not _mostly_known(con):
        con.execute("DROP TABLE stage_fingerprints; DROP TABLE known_positions")
        return KnownRows()
    _fingerprint(con, params, sample=False)
    count, rows, has_send, has_event, providers, dated = con.execute(
        """
        SELECT count(*), (SELECT count(*) FROM stage_fingerprints),
               coalesce(bool_or(has_send), false), coalesce(bool_or(has_event), false),
               list(DISTINCT provider) FILTER (WHERE provider IS NOT NULL),
               count(*) FILTER (WHERE dated_by_receipt)
        FROM (SELECT *, rowid - (SELECT min(rowid) FROM stage_fingerprints) AS position
              FROM stage_fingerprints) f
        SEMI JOIN known_positions USING (position)
        """
    ).fetchone()
    known = KnownRows(
        int(count),
        count == rows,
        bool(has_send),
        bool(has_event),
        sorted(providers or []),
        int(dated),
    )
    if count == 0:
        con.execute("DROP TABLE stage_fingerprints; DROP TABLE known_positions")
        return known
    drop_stage = "DROP VIEW stage" if staged_as_view else "DROP TABLE stage"
    if count == rows:
        # Every row is known: nothing is left to read again or type.
        con.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM stage WHERE false")
        con.execute(drop_stage)
        con.execute("CREATE TEMP VIEW stage AS SELECT * FROM staged")
    else:
        # The rows in file order (the file's second read, as the fingerprints' was), each
        # flagged in place: a join would not keep the order, which typing needs.
        con.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT *, false AS known FROM stage")
        first = con.execute("SELECT min(rowid) FROM staged").fetchall()[0][0]
        con.execute(
            "UPDATE staged SET known = true FROM known_positions k "
            "WHERE staged.rowid = k.position + $first",
            {"first": first},
        )
        con.execute(drop_stage)
        # A row's line is its position in the file, taken before rows were set aside (the
        # canonical reader leaves it to be numbered so: readers/csv_rejects.py).
        con.execute(
            """
            CREATE TEMP VIEW stage AS
            SELECT * EXCLUDE (known)
                     REPLACE (coalesce(line, rowid - $first + getvariable('stage_first_line'))
                              AS line)
            FROM staged WHERE NOT known
            """.replace("$first", str(int(first)))
        )
    con.execute("DROP TABLE stage_fingerprints; DROP TABLE known_positions")
    return known


def _fingerprint(con: duckdb.DuckDBPyConnection, params: dict, sample: bool) -> None:
    """ingest_known_rows.sql on the first staged rows (SAMPLE), or all of them."""
    # Any LIMIT, even of NULL, would make DuckDB read the whole file on one thread.
    con.execute(SAMPLE if sample else "CREATE OR REPLACE TEMP VIEW stage_rows AS FROM stage")
    for statement in duckdb.extract_statements(sql_text("ingest_known_rows.sql")):
        con.execute(statement, params if statement.named_parameters else None)
    con.execute("DROP VIEW stage_rows")


def _mostly_known(con: duckdb.DuckDBPyConnection) -> bool:
    known, rows = con.execute(
        "SELECT (SELECT count(*) FROM known_positions), count(*) FROM stage_fingerprints"
    ).fetchone()
    return bool(rows) and known * 2 >= rows


def record_loaded_rows(con: duckdb.DuckDBPyConnection, loaded_rows_sql: str) -> None:
    """List the fingerprints of the rows LOADED_ROWS_SQL (one of load_staged's fixed
    subqueries over typed) selects: each loaded a send or event new to the store, so once
    the ingest commits, every part of it is stored."""
    con.execute(
        "INSERT INTO row_fingerprints SELECT fingerprint FROM "  # noqa: S608
        f"{loaded_rows_sql} WHERE fingerprint IS NOT NULL"
    )
