"""Reading and typing one input file for the lake, as the store's ingest does: the same
readers (readers/), the same typing and validation (deliverability/sql/ingest_typed.sql with
macros.sql), the same line numbers for rejected rows and countries from numbers. DuckDB runs
this step whatever the engine: the typing rules are DuckDB's timestamp parsing (ICU zones,
strptime layouts), which do not carry over (tests/test_spark_sql.py lists them).

Each file leaves three Parquet files in the build's staging folder: its valid sends and
events (the first row of each in the file, with its position) and its rejected rows with
their reasons; which of them are new to the lake is decided by the engine (build.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from deliverability.load_staged import FileResult, _fill_country_prefixes, stage_is_view
from deliverability.readers import choose_reader
from deliverability.readers.base import ReadOptions, UnreadableFile, sniff
from deliverability.readers.csv_rejects import number_rejected_rows
from deliverability.settings import max_decompressed_bytes
from deliverability.sql_files import sql_text

# The staged rows as the store's sends and events hold them (load_staged.py's inserts),
# with the ingest and the row's position in its file: the first of repeated rows wins.
STAGED_SENDS = """
SELECT provider, message_id, channel, sent_ts AS sent_at, sender, recipient, country, carrier,
       campaign, segments, CAST($id AS INTEGER) AS ingest_id, row_key
FROM (SELECT *, min(rowid) OVER (PARTITION BY provider, message_id) AS row_key, rowid AS r
      FROM typed WHERE reason IS NULL AND has_send)
WHERE r = row_key
"""
STAGED_EVENTS = """
SELECT provider, message_id, channel, event_ts AS event_at, status_code, status_text,
       coalesce(event_carrier, carrier) AS carrier, upstream_provider, upstream_code, sender,
       recipient, country, campaign, segments, CAST($id AS INTEGER) AS ingest_id,
       CASE WHEN status_word IS DISTINCT FROM status_code THEN status_word END AS status_word,
       row_key
FROM (SELECT *,
             min(rowid) OVER (PARTITION BY provider, message_id, event_ts, status_code)
                 AS row_key,
             rowid AS r
      FROM typed WHERE reason IS NULL AND has_event)
WHERE r = row_key
"""
# load_staged.py's quarantine row: the raw line, else what was read of it.
STAGED_REJECTS = """
SELECT CAST($id AS INTEGER) AS ingest_id, $file AS file_name, CAST(line AS BIGINT) AS line,
       coalesce(raw, to_json({'message_id': message_id, 'provider': provider,
           'sent_at': sent_raw, 'event_at': event_raw, 'status_code': status_code,
           'segments': segments_raw})::VARCHAR) AS raw,
       reason
FROM typed WHERE reason IS NOT NULL
"""


@dataclass
class Staged:
    """One file read and typed: its result so far (rows read, rejected, reader, kind) and
    where its staged rows are."""

    result: FileResult
    ingest_id: int
    sends: Path
    events: Path
    rejects: Path
    read_kind: str


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the parsing macros and the country prefix cache."""
    from deliverability.connection import memory_limit
    from deliverability.store import prepare_connection

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    prepare_connection(con)
    con.execute(sql_text("schema.sql"))
    return con


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    ingest_id: int,
    opts: ReadOptions,
    folder: Path,
) -> Staged:
    """Read and type PATH into FOLDER (raises UnreadableFile with a one-line reason)."""
    result = FileResult(path=str(path))
    sniffed = sniff(path, max_decompressed_bytes())
    reader = choose_reader(sniffed, opts.format_hint, mapped=bool(opts.mapping))
    result.reader = reader.NAME
    con.execute(
        "RESET VARIABLE stage_first_line; "
        "DROP TABLE IF EXISTS stage_rejects; DROP TABLE IF EXISTS stage_scans"
    )
    reader.stage(con, sniffed, opts)
    staged_as_view = stage_is_view(con)
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            sql_text("ingest_typed.sql"), {"tz": opts.timezone, "received_at": opts.received_at}
        )
    except duckdb.Error as exc:
        raise UnreadableFile(f"{path}: cannot parse: {str(exc).splitlines()[0]}") from exc
    number_rejected_rows(con)
    con.execute("SET preserve_insertion_order = false")
    con.execute("DROP VIEW IF EXISTS stage" if staged_as_view else "DROP TABLE IF EXISTS stage")
    _fill_country_prefixes(con)
    con.execute(
        "UPDATE typed SET country = cp.country FROM country_prefixes cp "
        "WHERE typed.country IS NULL AND cp.prefix = left(typed.recipient, 7)"
    )
    rows_read, rejected, dated, kind, providers = con.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE reason IS NOT NULL),
               count(*) FILTER (WHERE reason IS NULL AND has_event AND dated_by_receipt),
               CASE WHEN bool_or(has_send) FILTER (WHERE reason IS NULL)
                         AND bool_or(has_event) FILTER (WHERE reason IS NULL) THEN 'sends+events'
                    WHEN bool_or(has_event) FILTER (WHERE reason IS NULL) THEN 'events'
                    WHEN bool_or(has_send) FILTER (WHERE reason IS NULL) THEN 'sends'
                    ELSE 'none' END,
               string_agg(DISTINCT provider, ',' ORDER BY provider)
                   FILTER (WHERE provider IS NOT NULL)
        FROM typed
        """
    ).fetchone()
    result.rows_read, result.rejected = int(rows_read), int(rejected)
    result.dated_by_receipt = int(dated)
    result.dated_from = opts.received_from if dated else None
    result.kind = kind
    result.provider = ",".join((providers or "").split(",")[:5]) or None
    folder.mkdir(parents=True, exist_ok=True)
    staged = Staged(
        result,
        ingest_id,
        folder / f"sends_{ingest_id}.parquet",
        folder / f"events_{ingest_id}.parquet",
        folder / f"rejects_{ingest_id}.parquet",
        opts.kind,
    )
    params = {"id": ingest_id}
    for query, target in ((STAGED_SENDS, staged.sends), (STAGED_EVENTS, staged.events)):
        con.execute(f"COPY ({query}) TO '{_quoted(target)}' (FORMAT parquet)", params)
    con.execute(
        f"COPY ({STAGED_REJECTS}) TO '{_quoted(staged.rejects)}' (FORMAT parquet)",
        {**params, "file": path.name},
    )
    con.execute("DROP TABLE typed")
    return staged


def _quoted(path: Path) -> str:
    """A path inside a COPY statement's quotes (COPY takes no bound target)."""
    return str(path).replace("'", "''")
