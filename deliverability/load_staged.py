"""Load the rows a reader staged (TEMP stage) into the store: type and validate them, fill
in countries, de-duplicate against the file and the store, insert, quarantine the rejected
rows with their reason, derive the messages touched and write the ingest's ledger row.
deliverability/ingest.py runs it inside each file's transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import phonenumbers

from deliverability.derive import (
    derivation_pending,
    has_messages,
    refresh_messages,
    refresh_pending_messages,
)
from deliverability.known_rows import KnownRows, record_loaded_rows, set_aside_known_rows
from deliverability.readers.base import ReadOptions, UnreadableFile
from deliverability.readers.csv_rejects import has_malformed_lines, number_rejected_rows
from deliverability.sql_files import sql_text
from deliverability.store import Store


@dataclass
class FileResult:
    """What became of one file: rows_read = loaded + duplicates + rejected."""

    path: str
    kind: str | None = None
    provider: str | None = None
    reader: str | None = None
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    already_ingested: bool = False
    # Events with no time of their own, dated by the file's receipt, and from what.
    dated_by_receipt: int = 0
    dated_from: str | None = None
    # Earlier ingests of the same file, with other options, whose rows this one replaced.
    replaced: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return asdict(self)


def _fill_country_prefixes(con: duckdb.DuckDBPyConnection) -> None:
    """Country per distinct E.164 prefix (phonenumbers), cached in country_prefixes.

    One representative number per 7-character prefix ('+' and six digits) is enough to
    tell the country, including NANP area codes; the loop runs per prefix, not per row.
    """
    todo = con.execute(
        """
        SELECT left(recipient, 7) AS prefix, min(recipient) AS example
        FROM typed
        WHERE reason IS NULL AND country IS NULL AND recipient LIKE '+%'
        GROUP BY 1
        HAVING prefix NOT IN (SELECT prefix FROM country_prefixes)
        """
    ).fetchall()
    rows = []
    for prefix, example in todo:
        try:
            number = phonenumbers.parse(example, None)
            region = phonenumbers.region_code_for_number(number) or (
                phonenumbers.region_code_for_country_code(number.country_code)
            )
        except phonenumbers.NumberParseException:
            region = None
        rows.append((prefix, region if region and region not in ("ZZ", "001") else None))
    if rows:
        # One statement for all prefixes: executemany costs milliseconds per row in DuckDB.
        con.execute(
            "INSERT OR IGNORE INTO country_prefixes "
            "SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [[r[0] for r in rows], [r[1] for r in rows]],
        )


# What a file held, by whether it had sends and events (the ledger's kind).
KINDS = {(True, True): "sends+events", (False, True): "events", (True, False): "sends"}

LOAD_SQL = """
-- Rows are told apart by typed's rowid (file order), since readers' line numbers may repeat.
-- Only keys are kept here; the wide rows go straight from typed into the store.
-- Sends: the first row in the file for each message, unless the store has it already.
CREATE OR REPLACE TEMP TABLE new_sends AS
SELECT f.* FROM (
    SELECT provider, message_id, min(rowid) AS row_key
    FROM typed WHERE reason IS NULL AND has_send
    GROUP BY provider, message_id
) f
ANTI JOIN sends s USING (provider, message_id);

-- Events: the first row for each (provider, message_id, event_at, status_code), if new.
CREATE OR REPLACE TEMP TABLE new_events AS
SELECT f.* FROM (
    SELECT provider, message_id, event_ts, status_code, min(rowid) AS row_key
    FROM typed WHERE reason IS NULL AND has_event
    GROUP BY provider, message_id, event_ts, status_code
) f
ANTI JOIN (SELECT provider, message_id, event_at AS event_ts, status_code FROM events) e
    USING (provider, message_id, event_ts, status_code);
"""


def stage_is_view(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = 'stage' AND temporary"
        ).fetchall()[0][0]
    )


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return int(con.execute(sql, params or []).fetchone()[0])


# A number standing alone in a message id: 7-15 digits between separators or the ends.
_ID_NUMBER = r"(^|[^0-9A-Za-z])\+?([0-9]{7,15})($|[^0-9A-Za-z])"


def _keyed(value_sql: str) -> str:
    """SQL for the keyed hash of VALUE_SQL (one of our expressions) with the bound $salt."""
    return f"CASE WHEN ({value_sql}) IS NOT NULL THEN 'h:' || left(sha256($salt || sha256($salt || ({value_sql}))), 24) END"


def _only_known_rows(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    result: FileResult,
    known: KnownRows,
    ingest_id: int,
    opts: ReadOptions,
    fingerprints: tuple[str, str],
    started: float,
) -> None:
    """A file whose every row the store has loaded before: each is a duplicate, and nothing
    is loaded, quarantined or derived; only the ledger says the file came."""
    con.execute("SET preserve_insertion_order = false")
    con.execute("DROP VIEW stage; DROP TABLE staged")
    result.rows_read = result.duplicates = known.count
    result.dated_by_receipt = known.dated_by_receipt
    result.dated_from = opts.received_from if known.dated_by_receipt else None
    result.kind = KINDS.get((known.has_send, known.has_event), "none")
    result.provider = ",".join(known.providers[:5]) or None
    _write_ledger(store, con, result, ingest_id, opts, fingerprints, started)


def load_staged(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    result: FileResult,
    ingest_id: int,
    opts: ReadOptions,
    fingerprints: tuple[str, str],
    started: float,
    hash_salt: str | None,
    defer_refresh: bool,
) -> None:
    # A store with no messages yet derives every message at the end of the batch: then the
    # messages this file touches need not be listed (10M keys in a first ingest).
    list_affected = has_messages(con)
    # typed's rowid is then each row's position in the file (file order is what decides
    # which of two repeated rows is kept, and the line of a rejected row).
    con.execute("SET preserve_insertion_order = true")
    staged_as_view = stage_is_view(con)
    typing = {"tz": opts.timezone, "received_at": opts.received_at}
    try:
        # A hashed store keeps no fingerprints (the staged values hold the numbers).
        known = KnownRows() if hash_salt else set_aside_known_rows(con, typing, staged_as_view)
        only_known = known.every_row and not has_malformed_lines(con)
        if not only_known:
            con.execute(sql_text("ingest_typed.sql"), typing)
    except duckdb.Error as exc:
        if not staged_as_view:
            raise
        # The canonical reader's view reads the file here, not in the reader.
        raise UnreadableFile(f"{result.path}: cannot parse: {str(exc).splitlines()[0]}") from exc
    if only_known:
        _only_known_rows(store, con, result, known, ingest_id, opts, fingerprints, started)
        if not defer_refresh and derivation_pending(con):
            # The last file of a batch derives what the files before it deferred.
            refresh_pending_messages(con)
        return
    number_rejected_rows(con)
    # From here on nothing depends on the order rows come out of a query, so DuckDB may run
    # every step in parallel.
    con.execute("SET preserve_insertion_order = false")
    # typed holds everything from here on; a big file's staging tables would only take the
    # memory the joins below need (DuckDB spills past its memory_limit, and slows down).
    con.execute("DROP VIEW IF EXISTS stage" if stage_is_view(con) else "DROP TABLE IF EXISTS stage")
    con.execute("DROP TABLE IF EXISTS staged")
    _fill_country_prefixes(con)
    con.execute(
        """
        UPDATE typed SET country = cp.country FROM country_prefixes cp
        WHERE typed.country IS NULL AND cp.prefix = left(typed.recipient, 7)
        """
    )
    if hash_salt:
        # A hashed store holds no number anywhere: a keyed hash (salted twice, like HMAC's
        # nesting) for the recipient; the same hash where an id embeds the recipient (Sinch's
        # batch_id:recipient), or any number standing alone in an id of a row without a
        # recipient (a delivery log without one), so the two still join; numbers in status
        # texts masked. SQL: our text; the key is bound.
        con.execute(
            f"""
            UPDATE typed SET
                message_id = CASE
                    WHEN length(ltrim(recipient, '+')) >= 7
                         AND contains(message_id, ltrim(recipient, '+'))
                        THEN replace(message_id, ltrim(recipient, '+'), {_keyed("recipient")})
                    WHEN regexp_matches(message_id, '{_ID_NUMBER}')
                        THEN replace(
                            message_id,
                            regexp_extract(message_id, '{_ID_NUMBER}', 2),
                            {_keyed(f"norm_number(regexp_extract(message_id, '{_ID_NUMBER}', 2))")}
                        )
                    ELSE message_id END,
                recipient = {_keyed("recipient")},
                status_text = scrub_numbers(status_text)
            """,  # noqa: S608
            {"salt": hash_salt},
        )
    con.execute(LOAD_SQL)
    rows_read, rejected, send_rows, event_rows, dated = con.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE reason IS NOT NULL),
               count(*) FILTER (WHERE reason IS NULL AND has_send),
               count(*) FILTER (WHERE reason IS NULL AND has_event),
               count(*) FILTER (WHERE reason IS NULL AND has_event AND dated_by_receipt)
        FROM typed
        """
    ).fetchone()
    result.rows_read, result.rejected = int(rows_read) + known.count, int(rejected)
    result.dated_by_receipt = int(dated) + known.dated_by_receipt
    result.dated_from = opts.received_from if result.dated_by_receipt else None
    # Usually every valid row is new (a first ingest): then the rows to insert are simply
    # the valid ones, and the join that picks them by row_key (a tenth of a large ingest)
    # is not needed.
    new_send_count = count(con, "SELECT count(*) FROM new_sends")
    new_event_count = count(con, "SELECT count(*) FROM new_events")
    all_sends_new, all_events_new = send_rows == new_send_count, event_rows == new_event_count
    new_send_rows = (
        "(SELECT * FROM typed WHERE reason IS NULL AND has_send)"
        if all_sends_new
        else "(SELECT t.* FROM typed t SEMI JOIN new_sends n ON n.row_key = t.rowid)"
    )
    new_event_rows = (
        "(SELECT * FROM typed WHERE reason IS NULL AND has_event)"
        if all_events_new
        else "(SELECT t.* FROM typed t SEMI JOIN new_events n ON n.row_key = t.rowid)"
    )
    if send_rows and event_rows:
        # A row may be both a send and an event (a combined log): count it once.
        result.loaded = count(
            con,
            "SELECT count(*) FROM "
            "(SELECT row_key FROM new_sends UNION SELECT row_key FROM new_events)",
        )
    else:
        result.loaded = new_send_count + new_event_count
    result.duplicates = result.rows_read - result.rejected - result.loaded
    has_send, has_event = con.execute(
        "SELECT coalesce(bool_or(has_send), false), coalesce(bool_or(has_event), false) "
        "FROM typed WHERE reason IS NULL"
    ).fetchone()
    has_send, has_event = has_send or known.has_send, has_event or known.has_event
    result.kind = KINDS.get((bool(has_send), bool(has_event)), "none")
    providers = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT provider FROM typed WHERE provider IS NOT NULL ORDER BY 1 LIMIT 5"
        ).fetchall()
    }
    result.provider = ",".join(sorted(providers | set(known.providers))[:5]) or None

    # new_send_rows and new_event_rows are one of two fixed subqueries above.
    con.execute(
        f"""
        INSERT INTO sends
        SELECT provider, message_id, channel, sent_ts, sender, recipient, country, carrier,
               campaign, segments, $id
        FROM {new_send_rows}
        """,  # noqa: S608
        {"id": ingest_id},
    )
    con.execute(
        f"""
        INSERT INTO events
        SELECT provider, message_id, channel, event_ts, status_code, status_text,
               coalesce(event_carrier, carrier), upstream_provider, upstream_code, sender,
               recipient, country, campaign, segments, $id,
               CASE WHEN status_word IS DISTINCT FROM status_code THEN status_word END
        FROM {new_event_rows}
        """,  # noqa: S608
        {"id": ingest_id},
    )
    if not hash_salt:
        record_loaded_rows(
            con,
            "(SELECT fingerprint FROM typed WHERE reason IS NULL)"
            if all_sends_new and all_events_new
            else "(SELECT t.fingerprint FROM typed t SEMI JOIN (SELECT row_key FROM new_sends "
            "UNION ALL SELECT row_key FROM new_events) n ON n.row_key = t.rowid)",
        )
    # The code keys of the events just loaded, per day (schema.sql, event_code_days).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE keys_to_check AS
        SELECT date_trunc('day', event_ts) AS day, provider, channel, status_code,
               upstream_provider, upstream_code, count(*) AS events
        FROM {new_event_rows}
        GROUP BY ALL
        """  # noqa: S608
    )
    con.execute("INSERT INTO event_code_days SELECT * FROM keys_to_check")
    # The events just loaded whose code the catalog does not know (schema.sql).
    con.execute(
        "CREATE OR REPLACE TEMP VIEW events_to_check AS "  # noqa: S608
        "SELECT provider, message_id, channel, event_ts AS event_at, status_code, status_text, "
        f"upstream_provider, upstream_code FROM {new_event_rows}"
    )
    con.execute(sql_text("uncatalogued_events.sql"))
    con.execute("DROP VIEW events_to_check; DROP TABLE keys_to_check")
    con.execute(
        """
        INSERT INTO quarantine
        SELECT $id, $file, line,
               -- In a hashed store a rejected line, and the value its reason quotes, must
               -- not keep the numbers either.
               CASE WHEN $scrub THEN scrub_numbers(quarantined) ELSE quarantined END,
               CASE WHEN $scrub THEN scrub_numbers(reason) ELSE reason END
        FROM (
            SELECT line, reason,
                   coalesce(raw, to_json({'message_id': message_id, 'provider': provider,
                       'sent_at': sent_raw, 'event_at': event_raw, 'status_code': status_code,
                       'segments': segments_raw})::VARCHAR) AS quarantined
            FROM typed WHERE reason IS NOT NULL
        )
        """,
        {"id": ingest_id, "file": Path(result.path).name, "scrub": bool(hash_salt)},
    )
    if list_affected:
        # The messages to derive again (repeats allowed: the derivation de-duplicates them).
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE affected AS
            SELECT provider, message_id FROM new_sends
            UNION ALL SELECT provider, message_id FROM new_events
            """
        )
    con.execute("DROP TABLE typed; DROP TABLE new_sends; DROP TABLE new_events")
    if not defer_refresh:
        refresh_messages(con)
    elif list_affected:
        con.execute("INSERT INTO pending_refresh SELECT provider, message_id FROM affected")
        con.execute("DROP TABLE affected")
    _write_ledger(store, con, result, ingest_id, opts, fingerprints, started)


def _write_ledger(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    result: FileResult,
    ingest_id: int,
    opts: ReadOptions,
    fingerprints: tuple[str, str],
    started: float,
) -> None:
    """The file's row in the ingests ledger (and the earlier readings it replaced)."""
    if result.replaced:
        con.execute(
            "UPDATE ingests SET replaced_by = $id WHERE ingest_id IN (SELECT unnest($ids))",
            {"id": ingest_id, "ids": result.replaced},
        )
    con.execute(
        """
        INSERT INTO ingests VALUES ($id, $name, $path, $fp, $kind, $reader, $provider, $read,
            $loaded, $dups, $rejected, to_timestamp($started)::TIMESTAMP, now()::TIMESTAMP,
            $dated, $dated_from, $content, $read_kind, NULL)
        """,
        {
            "id": ingest_id,
            "name": Path(result.path).name,
            "path": str(result.path),
            "fp": fingerprints[0],
            "content": fingerprints[1],
            "read_kind": opts.kind,
            "kind": result.kind,
            "reader": result.reader,
            "provider": result.provider,
            "read": result.rows_read,
            "loaded": result.loaded,
            "dups": result.duplicates,
            "rejected": result.rejected,
            "started": started,
            "dated": result.dated_by_receipt,
            "dated_from": result.dated_from,
        },
    )
    store.bump_version(con)
