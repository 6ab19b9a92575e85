"""`deliverability lake build`: canonical sends and events (and the native formats the
readers know) into a lake of day-partitioned Parquet tables, by the store's own rules.

1. Each new file (a local one, or an object in storage fetched to a local copy: objects.py)
   is read and typed as ingest does (stage.py, DuckDB): every row read is staged as a send,
   an event, or a rejected row with its reason.
2. On the engine (DuckDB or Spark): the first row of each send and event across the
   build's files, in file order, that the lake does not hold yet is new; the rest are
   duplicates (rows_read = loaded + duplicates + rejected, per file, in the ledger).
3. The messages the new rows touch are derived by deliverability/sql/refresh_input_listed.sql,
   refresh_messages.sql and refresh_write_listed.sql, run as they are for the store, and
   only the message days they were and are in are written again, with those days' rollups
   (rollups.sql's counts). A late event re-derives its message wherever its day is. Event code days and the
   uncatalogued events are kept as ingest keeps them (uncatalogued_events.sql).
A changed catalog, carrier table or derivation (its SQL: a lake built by an earlier release)
re-derives every message, as the store does. The ledger rows and the digest of those
(meta's catalog_digest) are written last; a build stopped before them is put right by the
next (journal.py).
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from deliverability.ingest import _modified_at, file_fingerprint
from deliverability.lake.engines import (
    PARTITION,
    DuckDBLake,
    SparkLake,
    _is_local,
    _local,
    columns,
    inserted,
    run_file,
)
from deliverability.lake.journal import (
    KEY,
    Pending,
    days_table,
    new_days,
    read_meta,
    roll_back,
    write_meta,
)
from deliverability.lake.objects import Source, sources
from deliverability.lake.rows import add_uncatalogued, append_new_rows, new_rows, write_ledger
from deliverability.lake.stage import Staged, stage_file
from deliverability.load_staged import FileResult
from deliverability.readers.base import ReadOptions, UnreadableFile
from deliverability.sql_files import sql_text
from deliverability.store import Store

Lake = DuckDBLake | SparkLake


@dataclass
class BuildResult:
    files: list[FileResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    messages_derived: int = 0
    days_rewritten: int = 0
    # Spark's physical plan of each step (classic pyspark only): tests check that no step
    # funnels every row through one partition.
    plans: dict[str, str] = field(default_factory=dict)


# The statements whose rules make the derived tables: a lake built under other rules (a
# release that rolled up less, or rounded latencies otherwise) is derived afresh.
DERIVATION_SQL = ("refresh_messages.sql", "rollups.sql", "latency_bucket.sql")


def _derivation_digest(scratch: Store) -> str:
    """What every derived row depends on: the catalog, the carrier table and the
    derivation's own SQL. A lake whose digest differs is derived afresh by its next build."""
    digest = hashlib.sha256()
    for table in ("codes", "carriers"):
        rows = scratch.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()  # noqa: S608
        digest.update(repr(rows).encode())
    for name in DERIVATION_SQL:
        digest.update(sql_text(name).encode())
    return digest.hexdigest()


def build_lake(
    paths: list[Path | str],
    lake_path: str,
    engine: str = "duckdb",
    opts: ReadOptions | None = None,
    catalog_extra: Path | None = None,
    session=None,
) -> BuildResult:
    """Build or extend the lake at LAKE_PATH with the files PATHS stand for: local paths,
    or URLs of objects in storage (objects.py)."""
    opts = opts or ReadOptions()
    result = BuildResult()
    files, result.skipped = sources(paths)
    work = Path(f"/tmp/deliverability-lake-{uuid.uuid4().hex}")
    if _is_local(lake_path):
        work = _local(lake_path) / "_staging" / f"build-{uuid.uuid4().hex}"
    work.mkdir(parents=True, exist_ok=True)
    scratch = Store.open(work / "scratch.duckdb", catalog_extra=catalog_extra)
    try:
        lake: Lake = SparkLake(lake_path, session) if engine == "spark" else DuckDBLake(lake_path)
        _build(lake, scratch, files, opts, work, result)
    finally:
        scratch.close()
        shutil.rmtree(work, ignore_errors=True)
    return result


def _build(
    lake: Lake, scratch: Store, files: list[Source], opts: ReadOptions, work: Path, result
) -> None:
    started = time.time()
    build_day = datetime.now(UTC).date()
    meta = read_meta(lake)
    pending = Pending.from_json(meta.pop(KEY)) if KEY in meta else None
    if pending is not None:
        # A build stopped midway: its rows are taken back before this one reads the lake.
        roll_back(lake, pending, work)
    lake.table("ingests")
    ledger = lake.frame(
        "SELECT ingest_id, fingerprint, reader, kind, provider, rows_read, rejected FROM ingests"
    )
    next_id = first_id = int(ledger["ingest_id"].max() or 0) + 1
    earlier = {r["fingerprint"]: r for r in ledger.iter_rows(named=True)}
    built = set(earlier)
    staged: list[Staged] = []
    fingerprints: dict[int, tuple[str, str]] = {}
    for source in files:
        if source.error:
            result.files.append(FileResult(source.name, errors=[source.error]))
            continue
        try:
            with source.file(work / "objects") as path:
                one = _stage(scratch, source.name, path, next_id, opts, work, built, earlier)
        except UnreadableFile as exc:
            result.files.append(FileResult(source.name, errors=[str(exc)]))
            continue
        if isinstance(one, FileResult):
            result.files.append(one)
            continue
        staged_one, fingerprint = one
        built.add(fingerprint[0])
        fingerprints[next_id] = fingerprint
        staged.append(staged_one)
        result.files.append(staged_one.result)
        next_id += 1

    digest = _derivation_digest(scratch)
    derivation_changed = meta.get("catalog_digest") != digest
    if not staged and not derivation_changed and pending is None:
        return
    for table in ("codes", "carriers", "notes"):
        path = work / f"{table}.parquet"
        scratch.con.execute(f"COPY {table} TO '{path}' (FORMAT parquet)")
        lake.parquet(f"lake_{table}", [path])
        lake.write(f"lake_{table}", table)
        lake.table(table)

    for table in ("sends", "events", "messages"):
        lake.table(table, keep_partition=True)
    new_rows(lake, staged)
    carried = pending.messages if pending else []
    days = _derive(lake, rederive_all=derivation_changed, result=result, carried=carried)
    # What this build is about to change, recorded before its first write of rows; the
    # catalog digest is written last (journal.py): a build stopped before it is put right,
    # and a changed catalog is found changed again, by the next.
    record = new_days(lake, first_id, build_day, days).to_json()
    write_meta(lake, work, {**meta, KEY: record})
    # Messages and rollups first, the new rows after.
    _write_days(lake, days, work)
    if staged:
        append_new_rows(lake, staged, build_day, uncatalogued=not derivation_changed)
        write_ledger(lake, staged, fingerprints, started, build_day, work)
    write_meta(lake, work, {"catalog_digest": digest})
    if isinstance(lake, SparkLake):
        result.plans = lake.plans()


def _stage(
    scratch: Store,
    name: str,
    path: Path,
    ingest_id: int,
    opts: ReadOptions,
    work: Path,
    built: set[str],
    earlier: dict[str, dict],
) -> FileResult | tuple[Staged, tuple[str, str]]:
    """The file NAME (read from PATH) staged, with its fingerprint; or, for a file built
    before or one that cannot be read, its result. UnreadableFile names NAME."""
    if opts.received_at is None:
        opts = replace(
            opts, received_at=_modified_at(path), received_from="the file's modification time"
        )
    try:
        fingerprint = file_fingerprint(path, opts)
    except OSError as exc:
        return FileResult(name, errors=[f"{name}: cannot read: {exc.strerror or exc}"])
    if fingerprint[0] in built:
        # As ingest reports a file it already holds: every row read is a duplicate.
        row = earlier.get(fingerprint[0], {})
        done = FileResult(
            name,
            reader=row.get("reader"),
            kind=row.get("kind"),
            provider=row.get("provider"),
            rows_read=int(row.get("rows_read") or 0),
            rejected=int(row.get("rejected") or 0),
            already_ingested=True,
        )
        done.duplicates = done.rows_read - done.rejected
        return done
    try:
        one = stage_file(scratch.con, path, ingest_id, opts, work / "staged")
    except UnreadableFile as exc:
        # An object is read from a local copy: its errors name the object.
        raise UnreadableFile(str(exc).replace(str(path), name)) from exc
    one.result.path = name
    return one, fingerprint


def _derive(lake: Lake, rederive_all: bool, result: BuildResult, carried: list) -> list:
    """Derive the messages the new rows touch (every message when the catalog changed);
    return the days of messages and rollups to write again: theirs, and CARRIED (the days
    a stopped build wrote)."""
    # The lake's sends and events with this build's new ones, which are appended after.
    for table in ("sends", "events"):
        lake.table(table, name=f"lake_{table}")
        cols = ", ".join(columns(lake.shape, table))
        both = f"SELECT {cols} FROM lake_{table} UNION ALL SELECT {cols} FROM new_{table}"  # noqa: S608
        lake.view(table, both)
    if rederive_all:
        lake.create(
            "affected",
            "SELECT DISTINCT provider, message_id FROM sends UNION "
            "SELECT DISTINCT provider, message_id FROM events",
        )
        lake.table("event_code_days")
        lake.create(
            "keys_to_check",
            "SELECT * FROM event_code_days UNION ALL "
            "SELECT date_trunc('day', event_at) AS day, provider, channel, status_code, "
            "upstream_provider, upstream_code, 1 AS events FROM new_events",
        )
        lake.create(
            "events_to_check",
            "SELECT provider, message_id, channel, event_at, status_code, status_text, "
            "upstream_provider, upstream_code FROM events",
        )
        add_uncatalogued(lake, replace_all=True)
    else:
        lake.create(
            "affected",
            "SELECT DISTINCT provider, message_id FROM ("
            "SELECT provider, message_id FROM new_sends UNION ALL "
            "SELECT provider, message_id FROM new_events)",
        )
    lake.create(
        "known_messages",
        "SELECT provider, message_id, message_at FROM messages "
        "SEMI JOIN affected USING (provider, message_id)",
    )
    run_file(lake, "refresh_input_listed.sql")
    run_file(lake, "refresh_messages.sql")
    run_file(lake, "refresh_write_listed.sql")
    lake.create(
        "lake_touched_days",
        "SELECT DISTINCT CAST(message_at AS DATE) AS utc_date FROM derived "
        "UNION SELECT DISTINCT CAST(old_message_at AS DATE) FROM derived WHERE known",
    )
    days = set(lake.frame("SELECT * FROM lake_touched_days")[PARTITION].to_list())
    days = sorted(days | set(carried))
    result.messages_derived = int(lake.frame("SELECT count(*) AS n FROM derived")["n"][0])
    result.days_rewritten = len(days)
    return days


def _write_days(lake: Lake, days: list, work: Path) -> None:
    """The messages of DAYS (derived, else as they were) and those days' rollups, written
    again."""
    if not days:
        return
    days_table(lake, work, days, "written_days")
    derived_columns = (
        "provider, message_id, channel, message_at, sent_at, has_send, event_count, sender, "
        "recipient, country, carrier, campaign, segments, code, upstream_code, status_text, "
        "final_at, outcome, category"
    )
    lake.create(
        "messages_out",
        f"""
        SELECT * EXCLUDE (utc_date), utc_date FROM messages
        ANTI JOIN derived USING (provider, message_id)
        WHERE utc_date IN (SELECT utc_date FROM written_days)
        UNION ALL
        SELECT {derived_columns}, CAST(message_at AS DATE) AS utc_date FROM derived
        """,  # noqa: S608  (fixed column lists)
    )
    lake.write("messages_out", "messages", replace_days=days)
    lake.table("messages", keep_partition=True)
    # rollups.sql re-counts whole hours; the lake's unit is the day, so every hour of the
    # touched days is re-counted.
    lake.create(
        "touched_hours",
        "SELECT DISTINCT date_trunc('hour', message_at) AS hour FROM messages "
        "WHERE utc_date IN (SELECT utc_date FROM written_days)",
    )
    writes = run_file(lake, "rollups.sql")
    rollups = (
        ("rollup_code_hour", "hour"),
        ("rollup_dims_day", "day"),
        ("rollup_latency_day", "day"),
    )
    for table, time_column in rollups:
        lake.create(f"{table}_new", inserted(writes, table))
        lake.create(
            f"{table}_out",
            f"SELECT *, CAST({time_column} AS DATE) AS utc_date FROM {table}_new",  # noqa: S608
        )
        lake.write(f"{table}_out", table, replace_days=days)
