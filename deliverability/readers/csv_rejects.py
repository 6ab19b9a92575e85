"""Line numbers for rejected rows, and the lines DuckDB's CSV reader could not split.

Readers number rows by their position among the rows DuckDB parsed. A line the CSV reader
rejects (store_rejects: wrong column count, bad quoting, bad encoding) is not among them,
so every row after it sits one line further down than its position says. Both kinds of
reader use the same arithmetic: the native ones on their lines/src table (every row has a
position line), ingest on typed for the canonical reader (only rejected rows need a line).
"""

from __future__ import annotations

import duckdb

# Characters of a rejected record kept in quarantine.
MAX_RAW = 4000


def _has_rejects(con: duckdb.DuckDBPyConnection, rejects_table: str) -> bool:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary",
        [rejects_table],
    ).fetchall()[0][0]
    # rejects_table is one of the readers' fixed names (csv_rejects, stage_rejects).
    return bool(
        exists and con.execute(f"SELECT count(*) FROM {rejects_table}").fetchall()[0][0]  # noqa: S608
    )


def shift_past_rejects(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rejects_table: str,
    header_lines: int,
    rows: str = "true",
) -> bool:
    """Move the rows of TABLE that satisfy ROWS down past the lines DuckDB rejected before
    them (TEMP TABLE REJECTS_TABLE). Returns whether DuckDB rejected any line: then add them
    with malformed_lines().

    TABLE's `line` holds each row's position-based line (header lines included). Table
    names and ROWS (a condition on TABLE's columns) are our own fixed texts.
    """
    if not _has_rejects(con, rejects_table):
        return False
    # Reject j (1-based, in line order) has line_j - header - j parsed rows before it; a
    # row whose position is past that many parsed rows moves down by j.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE reject_offsets AS
        SELECT parsed_before, max(rejects_so_far) AS rejects_so_far
        FROM (
            SELECT line - $header - row_number() OVER (ORDER BY line) AS parsed_before,
                   row_number() OVER (ORDER BY line) AS rejects_so_far
            FROM (SELECT DISTINCT line FROM {rejects_table})
        )
        GROUP BY parsed_before
        """,  # noqa: S608
        {"header": header_lines},
    )
    con.execute(
        f"""
        UPDATE {table} SET line = {table}.line + o.rejects_so_far
        FROM (
            SELECT t.rowid AS row_id, r.rejects_so_far
            FROM (SELECT rowid, line FROM {table} WHERE {rows}) t
            ASOF JOIN reject_offsets r ON t.line - $header > r.parsed_before
        ) o
        WHERE {table}.rowid = o.row_id
        """,  # noqa: S608
        {"header": header_lines},
    )
    con.execute("DROP TABLE reject_offsets")
    return True


def malformed_lines(rejects_table: str) -> str:
    """SELECT line, raw, reason: each line REJECTS_TABLE holds, once (DuckDB may list a
    line once per error), as a row to quarantine. REJECTS_TABLE is one of our fixed names."""
    return (
        f"SELECT line, left(csv_line, {MAX_RAW}) AS raw, "  # noqa: S608
        "'malformed line: ' || error_message AS reason "
        "FROM (SELECT DISTINCT ON (line) line, csv_line, error_message "
        f"FROM {rejects_table} ORDER BY line)"
    )


def has_malformed_lines(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the canonical reader's read_csv could not split some line of the file."""
    return _has_rejects(con, "stage_rejects")


def number_rejected_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Give the rejected rows of TEMP TABLE typed their line, and add the lines the
    canonical reader's read_csv could not split (TEMP TABLE stage_rejects) as rejected rows.

    typed keeps the reader's order (file order). A row without a line (the canonical reader
    leaves them NULL) is numbered from its position, from variable stage_first_line. Only
    rejected rows need a line (quarantine), so only they are numbered.
    """
    con.execute(
        """
        UPDATE typed SET line = rowid - (SELECT min(rowid) FROM typed)
                                + getvariable('stage_first_line')
        WHERE line IS NULL AND reason IS NOT NULL
        """
    )
    header_lines = con.execute(
        "SELECT coalesce(getvariable('stage_first_line') - 1, 0)"
    ).fetchall()[0][0]
    if shift_past_rejects(con, "typed", "stage_rejects", header_lines, rows="reason IS NOT NULL"):
        malformed = malformed_lines("stage_rejects")
        con.execute(
            "INSERT INTO typed (line, raw, reject_reason, reason, has_send, has_event) "  # noqa: S608
            f"SELECT line, raw, reason, reason, false, false FROM ({malformed})"
        )
