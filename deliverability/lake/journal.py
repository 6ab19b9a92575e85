"""A build that stopped midway (killed, out of memory, a lost connection), put right by the
next build.

A build's writes are many (each table, each day), and none of them is the last word until
the ledger says which files are in. So before its first write to a table of rows, a build
records in the lake's `meta` table, under `pending_build`, what it is about to change: its
first ingest id, the days it appends sends, events, rejected rows and ledger rows to, and the
days of messages and rollups it writes again. Its last write replaces `meta` with the catalog
digest alone: the build is complete.

The next build that finds the record takes the stopped build's rows back out of those days
(its ingest ids: the first and those after it, which no completed build holds), and counts
the event code days and uncatalogued events of its event days again from the events, whose
functions they are (a row per day, code key and ingest; an event the catalog does not know).
It then writes the recorded message days again with its own: run with the same input, it adds
what the stopped build would have, and every table is as one uninterrupted build leaves it.
Taking rows back is idempotent, so a build stopped while doing it is put right the same way.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from deliverability.lake.engines import PARTITION, DuckDBLake, SparkLake
from deliverability.lake.rows import add_uncatalogued, code_keys

Lake = DuckDBLake | SparkLake
KEY = "pending_build"
# The tables a build appends to, with the ingest id of each row.
APPENDED = ("sends", "events", "quarantine", "ingests")


@dataclass
class Pending:
    """What a build is about to change: rows from FIRST_ID on, in these days."""

    first_id: int
    build_day: date
    sends: list[date] = field(default_factory=list)
    events: list[date] = field(default_factory=list)
    messages: list[date] = field(default_factory=list)

    def to_json(self) -> str:
        days = {k: [str(d) for d in getattr(self, k)] for k in ("sends", "events", "messages")}
        return json.dumps({"first_id": self.first_id, "build_day": str(self.build_day), **days})

    @classmethod
    def from_json(cls, text: str) -> Pending:
        data = json.loads(text)
        days = {
            k: [date.fromisoformat(d) for d in data[k]] for k in ("sends", "events", "messages")
        }
        return cls(int(data["first_id"]), date.fromisoformat(data["build_day"]), **days)

    def days_of(self, table: str) -> list[date]:
        if table in ("quarantine", "ingests"):
            return [self.build_day]
        return getattr(self, table)


def read_meta(lake: Lake) -> dict[str, str]:
    """The lake's meta table as a dict (empty for a new lake)."""
    lake.table("meta")
    frame = lake.frame("SELECT key, value FROM meta")
    return dict(zip(frame["key"].to_list(), frame["value"].to_list(), strict=True))


def write_meta(lake: Lake, work: Path, entries: dict[str, str]) -> None:
    """The lake's meta table made ENTRIES (one small file, replaced whole)."""
    path = work / f"meta-{uuid.uuid4().hex}.parquet"
    schema = {"key": pl.String, "value": pl.String}
    pl.DataFrame(
        {"key": list(entries), "value": list(entries.values())}, schema=schema
    ).write_parquet(path)
    lake.parquet("lake_meta", [path])
    lake.write("lake_meta", "meta")
    lake.table("meta")


def new_days(lake: Lake, first_id: int, build_day: date, messages: list[date]) -> Pending:
    """The record of this build's changes: the days of its new sends and events (tables
    new_sends and new_events, rows.new_rows) and the message days it writes again."""

    def days(select: str) -> list[date]:
        return sorted(lake.frame(select)["d"].to_list())

    return Pending(
        first_id,
        build_day,
        sends=days("SELECT DISTINCT CAST(sent_at AS DATE) AS d FROM new_sends"),
        events=days("SELECT DISTINCT CAST(event_at AS DATE) AS d FROM new_events"),
        messages=sorted(messages),
    )


def roll_back(lake: Lake, pending: Pending, work: Path) -> None:
    """Take the stopped build's rows back out of the days it recorded, and count its event
    days' code days and uncatalogued events again from the events left."""
    for table in APPENDED:
        days = pending.days_of(table)
        if not days:
            continue
        days_table(lake, work, days)
        try:
            lake.table(table, keep_partition=True)
        except Exception as exc:  # pyspark's AnalysisException
            if "UNABLE_TO_INFER_SCHEMA" not in str(exc):
                raise
            continue  # Spark: a folder with no data file, as an empty append leaves it
        lake.create(
            f"{table}_kept",
            f"SELECT * FROM {table} WHERE utc_date IN (SELECT utc_date FROM journal_days) "  # noqa: S608
            "AND ingest_id < $first",
            {"first": pending.first_id},
        )
        lake.write(f"{table}_kept", table, replace_days=days)
    if not pending.events:
        return
    days_table(lake, work, pending.events)
    lake.table("events", keep_partition=True)
    lake.table("codes")
    lake.create(
        "events_to_check",
        "SELECT * EXCLUDE (utc_date) FROM events "
        "WHERE utc_date IN (SELECT utc_date FROM journal_days)",
    )
    lake.create("keys_to_check", code_keys("events_to_check"))
    lake.create("code_days_out", "SELECT *, CAST(day AS DATE) AS utc_date FROM keys_to_check")
    lake.write("code_days_out", "event_code_days", replace_days=pending.events)
    add_uncatalogued(lake, replace_all=False, days=pending.events)


def days_table(lake: Lake, work: Path, days: list[date], name: str = "journal_days") -> None:
    """Table NAME: DAYS, as utc_date (a file: values are never formatted into SQL)."""
    path = work / f"days-{uuid.uuid4().hex}.parquet"
    pl.DataFrame({PARTITION: days}, schema={PARTITION: pl.Date}).write_parquet(path)
    lake.parquet(name, [path])
