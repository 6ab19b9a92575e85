"""The rows a lake build adds: which staged sends and events are new (the first of each
across the build, in file order, that the lake lacks), each file's accounting, their
appending to their days with the rejected rows, event code days and uncatalogued events,
and the ledger's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from deliverability.lake.engines import PARTITION, DuckDBLake, SparkLake, inserted, run_file
from deliverability.lake.stage import Staged

Lake = DuckDBLake | SparkLake
MESSAGE_KEY = ("provider", "message_id")
EVENT_KEY = ("provider", "message_id", "event_at", "status_code")


def _first_new(lake: Lake, name: str, staged: str, table: str, key: tuple[str, ...]) -> None:
    """NAME: STAGED's first row of each KEY across the build (file order) that the lake's
    TABLE does not hold; events are looked up only in the days the new ones fall on."""
    keys = ", ".join(key)
    lookup = table
    if table == "events":
        lookup = (
            f"(SELECT {keys} FROM events WHERE utc_date IN "  # noqa: S608 (our names)
            f"(SELECT DISTINCT CAST(event_at AS DATE) FROM {staged}))"
        )
    lake.create(
        name,
        f"""
        SELECT f.* FROM (
            SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY ingest_id, row_key) AS n
            FROM {staged}
        ) f
        ANTI JOIN {lookup} l USING ({keys})
        WHERE f.n = 1
        """,  # noqa: S608  (our table names and key columns)
    )


def new_rows(lake: Lake, staged: list[Staged]) -> None:
    """new_sends and new_events (none when nothing was staged), and each file's count of
    loaded and duplicate rows."""
    if not staged:
        for table in ("sends", "events"):
            lake.create(f"new_{table}", f"SELECT *, 0 AS row_key FROM {table} WHERE false")  # noqa: S608
        return
    lake.parquet("staged_sends", [s.sends for s in staged])
    lake.parquet("staged_events", [s.events for s in staged])
    lake.parquet("staged_rejects", [s.rejects for s in staged])
    _first_new(lake, "new_sends", "staged_sends", "sends", MESSAGE_KEY)
    _first_new(lake, "new_events", "staged_events", "events", EVENT_KEY)
    # A row that is both a send and an event (a combined log) is loaded once.
    loaded = lake.frame(
        "SELECT ingest_id, count(*) AS loaded FROM ("
        "SELECT ingest_id, row_key FROM new_sends UNION "
        "SELECT ingest_id, row_key FROM new_events) GROUP BY ingest_id"
    )
    counts = dict(zip(loaded["ingest_id"].to_list(), loaded["loaded"].to_list(), strict=True))
    for one in staged:
        one.result.loaded = int(counts.get(one.ingest_id, 0))
        one.result.duplicates = one.result.rows_read - one.result.rejected - one.result.loaded


def append_new_rows(lake: Lake, staged: list[Staged], build_day, uncatalogued: bool) -> None:
    """The new sends and events, the rejected rows, the new events' code days and (unless
    the whole table was made again) their uncatalogued events, appended to their days."""
    lake.create("sends_out", "SELECT *, CAST(sent_at AS DATE) AS utc_date FROM new_sends")
    lake.write("sends_out", "sends")
    lake.create("events_out", "SELECT *, CAST(event_at AS DATE) AS utc_date FROM new_events")
    lake.write("events_out", "events")
    lake.create(
        "rejects_out",
        "SELECT *, CAST($day AS DATE) AS utc_date FROM staged_rejects",
        {"day": build_day},
    )
    lake.write("rejects_out", "quarantine")
    # The code keys of the events just loaded, per day and file (schema.sql,
    # event_code_days: a row per day, key and ingest), and those the catalog does not know
    # (uncatalogued_events.sql).
    lake.create("keys_to_check", code_keys("new_events"))
    lake.create("code_days_out", "SELECT *, CAST(day AS DATE) AS utc_date FROM keys_to_check")
    lake.write("code_days_out", "event_code_days")
    if uncatalogued:
        lake.create("events_to_check", "SELECT * FROM new_events")
        add_uncatalogued(lake, replace_all=False)


def code_keys(events: str) -> str:
    """The event code days of EVENTS (a table of events with their ingest ids): a row per
    day, code key and ingest (schema.sql's event_code_days)."""
    return (
        "SELECT date_trunc('day', event_at) AS day, provider, channel, status_code, "  # noqa: S608
        f"upstream_provider, upstream_code, count(*) AS events FROM {events} "
        "GROUP BY ingest_id, date_trunc('day', event_at), provider, channel, status_code, "
        "upstream_provider, upstream_code"
    )


def add_uncatalogued(lake: Lake, replace_all: bool, days: list[date] | None = None) -> None:
    """The uncatalogued events of events_to_check (uncatalogued_events.sql), appended; with
    DAYS (the events of those days), those days made again; or with REPLACE_ALL (the catalog
    changed), the table made again."""
    writes = run_file(lake, "uncatalogued_events.sql")
    lake.create("uncatalogued_new", inserted(writes, "uncatalogued_events"))
    lake.create(
        "uncatalogued_out",
        "SELECT *, CAST(event_at AS DATE) AS utc_date FROM uncatalogued_new",
    )
    if days is not None:
        lake.write("uncatalogued_out", "uncatalogued_events", replace_days=days)
        return
    if not replace_all:
        lake.write("uncatalogued_out", "uncatalogued_events")
        return
    lake.table("uncatalogued_events", keep_partition=True)
    days = lake.frame(
        "SELECT DISTINCT utc_date FROM uncatalogued_events UNION "
        "SELECT DISTINCT utc_date FROM uncatalogued_out"
    )[PARTITION].to_list()
    lake.write("uncatalogued_out", "uncatalogued_events", replace_days=days)


def write_ledger(lake: Lake, staged: list[Staged], fingerprints, started, build_day, work) -> None:
    finished = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            "ingest_id": s.ingest_id, "file_name": Path(s.result.path).name,
            "path": s.result.path, "fingerprint": fingerprints[s.ingest_id][0],
            "kind": s.result.kind, "reader": s.result.reader, "provider": s.result.provider,
            "rows_read": s.result.rows_read, "loaded": s.result.loaded,
            "duplicates": s.result.duplicates, "rejected": s.result.rejected,
            "started_at": datetime.fromtimestamp(started, UTC).replace(tzinfo=None),
            "finished_at": finished, "dated_by_receipt": s.result.dated_by_receipt,
            "dated_from": s.result.dated_from, "content_hash": fingerprints[s.ingest_id][1],
            "read_kind": s.read_kind, "replaced_by": None, PARTITION: build_day,
        }
        for s in staged
    ]  # fmt: skip
    path = work / "ledger.parquet"
    counts = ("rows_read", "loaded", "duplicates", "rejected", "dated_by_receipt")
    pl.DataFrame(rows).with_columns(
        pl.col("ingest_id", "replaced_by").cast(pl.Int32),
        *[pl.col(c).cast(pl.Int64) for c in counts],
    ).write_parquet(path)
    lake.parquet("ledger_out", [path])
    lake.write("ledger_out", "ingests")
