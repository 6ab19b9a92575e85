"""What the store holds: `deliverability status` and the dashboard's data-quality panels."""

from __future__ import annotations

import duckdb
import polars as pl

from queries.runner import run


def store_overview(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """provider, channel, messages, with_send, with_report, first_at, last_at."""
    return run(con, "store_overview")


def uncatalogued_codes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """provider, channel, code, example_text, events, messages, first_seen, last_seen."""
    return run(con, "uncatalogued_codes")


def ingest_ledger(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return run(con, "ingest_ledger")


def quarantined_rows(
    con: duckdb.DuckDBPyConnection, ingest_id: int | None = None, limit: int = 1000
) -> pl.DataFrame:
    """file_name, line, reason, raw, ingest_id: rows that were rejected, with why."""
    return run(con, "quarantined_rows", ingest_id=ingest_id, limit=limit)


def status(con: duckdb.DuckDBPyConnection) -> dict:
    overview = store_overview(con)
    ledger = ingest_ledger(con)
    uncatalogued = uncatalogued_codes(con)
    return {
        "messages": int(overview["messages"].sum()) if overview.height else 0,
        "first_at": overview["first_at"].min() if overview.height else None,
        "last_at": overview["last_at"].max() if overview.height else None,
        "files_ingested": ledger.height,
        "rejected_rows": int(ledger["rejected"].sum()) if ledger.height else 0,
        "by_provider_channel": overview,
        "uncatalogued_codes": uncatalogued,
    }
