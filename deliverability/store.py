"""The DuckDB store: opening it, its schema, the catalog inside it, and derived messages.

Store is the only writer: ingest.py loads files through it, and every other write (notes,
saved mappings, the alert ledger) is one of its methods. Views read through queries/.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from deliverability import carriers
from deliverability.catalog import PUBLIC_FIELDS, Catalog
from deliverability.connection import READ_WAIT_SECONDS, WRITE_WAIT_SECONDS, connect
from deliverability.derive import (
    derivation_pending,
    find_uncatalogued_events,
    has_messages,
    rebuild_rollups,
    refresh_all_messages,
    refresh_pending_messages,
    retract_ingests,
)
from deliverability.notes import checked_note
from deliverability.settings import carriers_extra, recipient_salt
from deliverability.settings import catalog_extra as default_catalog_extra
from deliverability.sql_files import sql_text

SCHEMA_VERSION = 15


def recipient_key_check(salt: str) -> str:
    """A one-way check of a recipient key, kept in the store to recognise the key."""
    return hashlib.sha256(b"deliverability recipient key check\0" + salt.encode()).hexdigest()[:32]


def read_version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's version, bumped by every change (a reader's connection will do)."""
    rows = con.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def mapping_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The saved --map column mappings' names (a reader's connection will do)."""
    return [r[0] for r in con.execute("SELECT name FROM mappings ORDER BY 1").fetchall()]


def load_mapping(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """The column mapping saved under NAME; ValueError naming the saved ones if none."""
    row = con.execute("SELECT spec FROM mappings WHERE name = ?", [name]).fetchone()
    if row is None:
        known = mapping_names(con)
        raise ValueError(f"no saved mapping {name!r} (saved: {', '.join(known) or 'none'})")
    return json.loads(row[0])


def prepare_connection(con: duckdb.DuckDBPyConnection) -> None:
    """Per-connection setup (macros are TEMP): call on every cursor that ingests."""
    con.execute(sql_text("macros.sql"))
    con.execute(sql_text("latency_bucket.sql"))


class Store:
    """An open store. One per process; cursors from `cursor()` for other threads.

    Writes are serialised by `write_lock`: DuckDB lets readers go on during a write, but two
    writers in one process would conflict.
    """

    write_lock = threading.RLock()

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, catalog: Catalog):
        self.con = con
        self.path = path
        self.catalog = catalog
        # The cursors handed out, so interrupt() can reach the statement running on one.
        self._cursors: weakref.WeakSet = weakref.WeakSet()

    @classmethod
    def open(
        cls,
        path: Path,
        catalog_extra: Path | None = None,
        wait: float = WRITE_WAIT_SECONDS,
    ) -> Store:
        """The store at PATH, open for writing (created, migrated, its catalog and carrier
        table brought up to date). Waits up to WAIT seconds while other processes read or
        write it; hold it only while writing (readers: open_reader)."""
        extra = catalog_extra or default_catalog_extra()
        con = connect(path, wait=wait)
        prepare_connection(con)
        con.execute(sql_text("schema.sql"))
        store = cls(con, path, Catalog.load(extra))
        store._migrate()
        store._sync_catalog(extra)
        store._sync_carriers()
        store.refresh_pending()
        return store

    @classmethod
    def open_reader(
        cls,
        path: Path,
        catalog_extra: Path | None = None,
        wait: float = READ_WAIT_SECONDS,
        bring_up_to_date: bool = True,
    ) -> duckdb.DuckDBPyConnection:
        """A read-only connection on the store at PATH, for queries, that other readers can
        share and that a writer waits for: close it when the request is answered. A store
        that needs writing first (new, an older schema, a changed catalog or carrier table,
        messages left to derive) is brought up to date through open() before, unless
        BRING_UP_TO_DATE is false (the caller then checks is_current and decides)."""
        extra = catalog_extra or default_catalog_extra()
        if not bring_up_to_date:
            return connect(path, read_only=True, wait=wait)
        con = connect(path, read_only=True, wait=wait) if path.is_file() else None
        if con is not None:
            if cls.is_current(con, extra):
                return con
            con.close()
        cls.open(path, catalog_extra=catalog_extra, wait=wait).close()
        return connect(path, read_only=True, wait=wait)

    @staticmethod
    def is_current(con: duckdb.DuckDBPyConnection, extra: Path | None = None) -> bool:
        """Whether the store on CON needs no writing before it is read (see open_reader)."""
        extra = extra or default_catalog_extra()
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            pending = derivation_pending(con)
        except duckdb.CatalogException:
            return False  # not a store yet
        return (
            meta.get("schema_version") == str(SCHEMA_VERSION)
            and meta.get("catalog_fingerprint") == Catalog.fingerprint(extra)
            and meta.get("carriers_fingerprint") == carriers.fingerprint(carriers_extra())
            and not pending
        )

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self.con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        prepare_connection(cur)
        self._cursors.add(cur)
        return cur

    def interrupt(self) -> None:
        """Stop the statement running on any of the store's connections, from another
        thread: an ingest then rolls its file back (IngestInterrupted). A connection between
        statements is not stopped; the caller repeats until its worker is done."""
        for cur in [*self._cursors, self.con]:
            try:
                cur.interrupt()
            except duckdb.ConnectionException:  # closed since: nothing runs on it
                self._cursors.discard(cur)

    def take_back(self, ingest_ids: Sequence[int]) -> list[int]:
        """Undo INGEST_IDS whole (a cancelled upload's files): their rows, quarantine and
        ledger rows go, and the messages they touched are derived again, in one transaction.
        Returns the earlier ingests they had replaced: those rows were deleted then and
        cannot come back."""
        ids = [int(i) for i in ingest_ids]
        if not ids:
            return []
        with self.write_lock:
            cur = self.cursor()
            try:
                with self.transaction(cur) as con:
                    replaced = [
                        int(r[0])
                        for r in con.execute(
                            "SELECT ingest_id FROM ingests WHERE list_contains($ids, replaced_by) "
                            "ORDER BY ingest_id",
                            {"ids": ids},
                        ).fetchall()
                    ]
                    retract_ingests(con, ids)
                    con.execute(
                        "DELETE FROM ingests WHERE list_contains($ids, ingest_id)", {"ids": ids}
                    )
                    if derivation_pending(con):
                        refresh_pending_messages(con)
                    self.bump_version(con)
            finally:
                cur.close()
        return replaced

    def close(self) -> None:
        self.con.close()

    # -- metadata ---------------------------------------------------------------------------

    def meta(self, key: str, con: duckdb.DuckDBPyConnection | None = None) -> str | None:
        # fetchall drains the result, so the connection is free for a relation next.
        rows = (con or self.con).execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str, con: duckdb.DuckDBPyConnection | None = None) -> None:
        (con or self.con).execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, str(value)]
        )

    def version(self, con: duckdb.DuckDBPyConnection | None = None) -> int:
        """Bumped by every change; views cache results on it."""
        return read_version(con or self.con)

    def bump_version(self, con: duckdb.DuckDBPyConnection) -> None:
        self.set_meta("store_version", str(self.version(con) + 1), con)

    # -- recipients kept as keyed hashes ---------------------------------------------------

    @property
    def hashes_recipients(self) -> bool:
        """Whether this store keeps recipients only as keyed hashes (chosen at creation)."""
        return self.meta("recipients") == "hashed"

    def hash_recipients_from_now(self, salt: str) -> None:
        """Make this store keep recipients as keyed hashes: allowed while it holds no rows
        (numbers already stored cannot be taken back out of the file); on a hashed store,
        checks that SALT is its key."""
        if self.hashes_recipients:
            self._check_salt(salt)
            return
        with self.write_lock, self.transaction(self.con) as con:
            if con.execute(
                "SELECT EXISTS (FROM sends) OR EXISTS (FROM events) OR EXISTS (FROM quarantine)"
            ).fetchall()[0][0]:
                raise ValueError(
                    f"{self.path} already holds recipients' numbers; hashing is chosen when a "
                    "store is created: ingest into a new store with --hash-recipients"
                )
            self.set_meta("recipients", "hashed", con)
            self.set_meta("recipient_key_check", recipient_key_check(salt), con)
            self.bump_version(con)

    def recipient_salt(self, con: duckdb.DuckDBPyConnection | None = None) -> str | None:
        """The key every ingest into a hashed store hashes with (None: a store of numbers).
        It lives outside the store file (settings.recipient_salt); only a check of it is kept
        here, so a different key is refused rather than hashing the same number anew."""
        if self.meta("recipients", con) != "hashed":
            return None
        salt = recipient_salt()
        if not salt:
            raise ValueError(
                f"{self.path} keeps recipients as keyed hashes: set "
                "DELIVERABILITY_RECIPIENT_SALT (or DELIVERABILITY_RECIPIENT_SALT_FILE) to its key"
            )
        self._check_salt(salt, con)
        return salt

    def _check_salt(self, salt: str, con: duckdb.DuckDBPyConnection | None = None) -> None:
        if recipient_key_check(salt) != self.meta("recipient_key_check", con):
            raise ValueError(
                f"the recipient key (DELIVERABILITY_RECIPIENT_SALT) is not the one {self.path} "
                "was created with: its hashes would not match the stored ones"
            )

    def _migrate(self) -> None:
        found = self.meta("schema_version")
        if found is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(found) > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} has schema version {found}; this release knows up to "
                f"{SCHEMA_VERSION}. Upgrade deliverability to open it."
            )
        else:
            version = int(found)
            if version < 2:
                # 1 -> 2: the rollup tables (schema.sql created them empty); count them once.
                with self.write_lock, self.transaction(self.con) as con:
                    rebuild_rollups(con)
                    self.set_meta("schema_version", "2", con)
                    self.bump_version(con)
            if version < 4:
                # 3 -> 4: event_code_days (created empty) replaces event_code_keys (version
                # 3's distinct keys, without days); count it once. From 1 and 2 as well.
                with self.write_lock, self.transaction(self.con) as con:
                    con.execute(
                        "INSERT INTO event_code_days SELECT date_trunc('day', event_at), "
                        "provider, channel, status_code, upstream_provider, upstream_code, "
                        "count(*) FROM events GROUP BY ALL"
                    )
                    con.execute("DROP TABLE IF EXISTS event_code_keys")
                    self.set_meta("schema_version", "4", con)
                    self.bump_version(con)
            if version < 5:
                # 4 -> 5: uncatalogued_events (created empty): copy them once.
                with self.write_lock, self.transaction(self.con) as con:
                    find_uncatalogued_events(con)
                    self.set_meta("schema_version", "5", con)
                    self.bump_version(con)
            if version < 6:
                # 5 -> 6: the same tables; a final but unconfirmed status became provisional
                # (deliverability/sql/refresh_messages.sql), so every message is derived again.
                with self.write_lock, self.transaction(self.con) as con:
                    refresh_all_messages(con)
                    self.set_meta("schema_version", "6", con)
                    self.bump_version(con)
            if version < 7:
                # 6 -> 7: the ledger says how many events of a file were dated by receipt.
                self._migration(
                    7,
                    "ALTER TABLE ingests ADD COLUMN IF NOT EXISTS dated_by_receipt BIGINT; "
                    "ALTER TABLE ingests ADD COLUMN IF NOT EXISTS dated_from VARCHAR",
                )
            if version < 8:
                # 7 -> 8: events keep the provider's status word (its earlier events have
                # none, so their outcomes stand as derived).
                self._migration(
                    8, "ALTER TABLE events ADD COLUMN IF NOT EXISTS status_word VARCHAR"
                )
            if version < 9:
                # 8 -> 9: the carriers table (created empty by schema.sql); _sync_carriers
                # fills it and derives every message again with canonical carrier names.
                self.set_meta("schema_version", "9")
            if version < 10:
                # 9 -> 10: the ledger keeps each file's content hash, so a file ingested
                # again with other options replaces its earlier rows (earlier ingests have
                # none: they are never replaced).
                self._migration(
                    10,
                    "ALTER TABLE ingests ADD COLUMN IF NOT EXISTS content_hash VARCHAR; "
                    "ALTER TABLE ingests ADD COLUMN IF NOT EXISTS read_kind VARCHAR; "
                    "ALTER TABLE ingests ADD COLUMN IF NOT EXISTS replaced_by INTEGER",
                )
            if version < 11:
                # 10 -> 11: every failure code has advice (its own or its category's) and a
                # link; the catalog's fingerprint changed with it, so codes are reloaded.
                self._migration(
                    11,
                    "ALTER TABLE codes ADD COLUMN IF NOT EXISTS advice_from VARCHAR; "
                    "ALTER TABLE codes ADD COLUMN IF NOT EXISTS link VARCHAR",
                )
            if version < 12:
                # 11 -> 12: the alert ledger (alert_deliveries, alert_rules), created empty by
                # schema.sql: nothing was sent before.
                self.set_meta("schema_version", "12")
            if version < 13:
                # 12 -> 13: a rule remembers the ingests it has seen (late and backfilled
                # data is tested again) and where an undelivered alert waits. A rule run
                # before has seen none: its next run looks as a first run does.
                self._migration(
                    13,
                    "ALTER TABLE alert_rules ADD COLUMN IF NOT EXISTS checked_ingest INTEGER; "
                    "ALTER TABLE alert_rules ADD COLUMN IF NOT EXISTS "
                    "checked_ingest_at TIMESTAMP; "
                    "ALTER TABLE alert_rules ADD COLUMN IF NOT EXISTS retry_from TIMESTAMP",
                )
            if version < 14:
                # 13 -> 14: the fingerprints of loaded rows (row_fingerprints, created empty
                # by schema.sql): rows ingested before are not listed, so a re-export of them
                # is typed, as it always was, and listed from then on.
                self.set_meta("schema_version", "14")
            if version < 15:
                # 14 -> 15: rollup_latency_day (created empty by schema.sql): count it once,
                # with the other rollups (recounted alike, unchanged).
                with self.write_lock, self.transaction(self.con) as con:
                    rebuild_rollups(con)
                    self.set_meta("schema_version", "15", con)
                    self.bump_version(con)
        # Future versions: step through migrations from int(found) to SCHEMA_VERSION here.

    def _migration(self, version: int, sql: str) -> None:
        """One schema step: SQL (our own ALTERs) and the new VERSION, in one transaction."""
        with self.write_lock, self.transaction(self.con) as con:
            con.execute(sql)
            self.set_meta("schema_version", str(version), con)
            self.bump_version(con)

    # -- catalog ----------------------------------------------------------------------------

    def _sync_catalog(self, extra: Path | None) -> None:
        """Reload `codes` when the catalog files changed, and re-derive every message."""
        fingerprint = Catalog.fingerprint(extra)
        if self.meta("catalog_fingerprint") == fingerprint:
            return
        with self.write_lock, self.transaction(self.con) as con:
            con.execute("DELETE FROM codes")
            columns = [c for c in PUBLIC_FIELDS]
            # One statement, a list per column zipped by unnest: executemany costs
            # milliseconds per row in DuckDB (seconds for the whole catalog).
            values = [[getattr(e, c) for e in self.catalog.entries] for c in columns]
            if self.catalog.entries:
                con.execute(
                    f"INSERT INTO codes ({', '.join(columns)}) "  # noqa: S608 - fixed column names
                    f"SELECT {', '.join(f'unnest(${i + 1})' for i in range(len(columns)))}",
                    values,
                )
            self.set_meta("catalog_fingerprint", fingerprint, con)
            find_uncatalogued_events(con)
            refresh_all_messages(con)
            self.bump_version(con)

    # -- reviewers' notes and saved mappings -------------------------------------------------

    def add_note(
        self,
        scope: str,
        subject: str,
        body: str,
        author: str | None = None,
        week: str | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> int:
        """Keep a reviewer's note (deliverability/notes.py says what one is) and bump the
        store version, so cached views refresh; returns the note's id. CON: the cursor to
        write on (default the store's own connection)."""
        note = checked_note(scope, subject, body, author, week)
        with self.write_lock, self.transaction(con or self.con) as tx:
            rows = tx.execute(
                sql_text("note_insert.sql"),
                {
                    "scope": note.scope,
                    "subject": note.subject,
                    "week": note.week,
                    "body": note.body,
                    "author": note.author,
                    "created_at": datetime.now(UTC).replace(tzinfo=None),
                },
            ).fetchall()  # fetchall drains the result: the connection is free again
            self.bump_version(tx)
        return int(rows[0][0])

    # -- the alert ledger -------------------------------------------------------------------

    def record_alert_deliveries(self, deliveries: Sequence[Mapping[str, object]]) -> None:
        """Keep alerts delivered to a destination, one row each (deliverability/sql/schema.sql
        names the fields; sent_at defaults to now), committed at once: `deliverability
        alert` calls this as each message (one alert, or a digest) is delivered, so nothing
        is sent twice after a failure."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.write_lock, self.transaction(self.con) as tx:
            for delivery in deliveries:
                tx.execute(sql_text("alert_delivery_insert.sql"), {"sent_at": now, **delivery})
            self.bump_version(tx)

    def record_alert_rule(self, rule: Mapping[str, object]) -> None:
        """Keep an alert rule as it was run and how far it has looked (the fields of
        alert_rules; last_run_at defaults to now), replacing its earlier row."""
        row = {
            "last_run_at": datetime.now(UTC).replace(tzinfo=None),
            **dict.fromkeys(("checked_ingest", "checked_ingest_at", "retry_from")),
            **rule,
        }
        with self.write_lock, self.transaction(self.con) as tx:
            tx.execute(sql_text("alert_rule_upsert.sql"), row)
            self.bump_version(tx)

    def save_mapping(self, name: str, mapping: dict[str, str]) -> None:
        """Keep a --map column mapping under NAME (--mapping NAME reuses it)."""
        # A cursor per call: the dashboard calls these from many session threads at once.
        with self.write_lock:
            con = self.cursor()
            try:
                con.execute(
                    "INSERT OR REPLACE INTO mappings VALUES (?, ?, now()::TIMESTAMP)",
                    [name, json.dumps(mapping, sort_keys=True)],
                )
            finally:
                con.close()

    def mapping_names(self) -> list[str]:
        con = self.cursor()
        try:
            return mapping_names(con)
        finally:
            con.close()

    def load_mapping(self, name: str) -> dict[str, str]:
        con = self.cursor()
        try:
            return load_mapping(con, name)
        finally:
            con.close()

    def _sync_carriers(self) -> None:
        """Reload `carriers` when the carrier files changed, and re-derive every message (each
        carries its carrier's canonical name)."""
        extra = carriers_extra()
        fingerprint = carriers.fingerprint(extra)
        if self.meta("carriers_fingerprint") == fingerprint:
            return
        names = carriers.load_carriers(extra)
        with self.write_lock, self.transaction(self.con) as con:
            con.execute("DELETE FROM carriers")
            if names:
                con.execute(
                    "INSERT INTO carriers SELECT unnest($1), unnest($2), unnest($3), unnest($4)",
                    [
                        [getattr(n, f) for n in names]
                        for f in ("country", "carrier", "key", "origin")
                    ],
                )
            self.set_meta("carriers_fingerprint", fingerprint, con)
            if has_messages(con):
                refresh_all_messages(con)
            self.bump_version(con)

    # -- transactions and derived tables ----------------------------------------------------

    @staticmethod
    @contextmanager
    def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def refresh_pending(self) -> None:
        """Derive the messages earlier files of an ingest deferred (derivation_pending)."""
        with self.write_lock:
            if not derivation_pending(self.con):
                return
            # A cursor of its own: the temp tables of the derivation go with it, and the
            # store's main connection is left as it was if the derivation fails.
            cur = self.cursor()
            try:
                with self.transaction(cur) as con:
                    refresh_pending_messages(con)
                    self.bump_version(con)
            finally:
                cur.close()
