"""What the store holds: `deliverability status` and the dashboard's data-quality panels."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from deliverability.queries.filters import Filters
from deliverability.queries.runner import run
from deliverability.queries.zones import times_in_zone

# Every Filters field but the time window.
DIMENSION_FIELDS = ("provider", "channel", "carrier", "country", "campaign", "category", "code")


def store_overview(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """provider, channel, messages, with_send, with_report, first_at, last_at."""
    return run(con, "store_overview")


def has_send_log(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any send log row is stored (a store of delivery reports only has none)."""
    return bool(run(con, "has_send_log")["has_send_log"][0])


def uncatalogued_codes(
    con: duckdb.DuckDBPyConnection, filters: Filters | None = None
) -> pl.DataFrame:
    """provider, channel, code, example_text, events, messages, first_seen, last_seen: the
    codes of FILTERS' messages that the catalog does not know (times in the filters' zone)."""
    filters = filters or Filters()
    codes = run(con, "uncatalogued_codes", filters, whole_store=_selects_everything(con, filters))
    return times_in_zone(codes, filters.zone, ("first_seen", "last_seen"))


def _selects_everything(con: duckdb.DuckDBPyConnection, filters: Filters) -> bool:
    """True when FILTERS leave every message in: the dashboard's default dates span the whole
    store, and then the uncatalogued codes need not be matched against the messages."""
    if any(getattr(filters, dim) for dim in DIMENSION_FIELDS):
        return False
    if filters.since is None and filters.until is None:
        return True
    span = run(con, "time_range").row(0, named=True)
    if span["first_at"] is None:
        return True
    return (filters.since is None or filters.since <= span["first_at"]) and (
        filters.until is None or filters.until > span["last_at"]
    )


def unlisted_carriers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """country, carrier, messages: carrier names the carrier table does not know (they pass
    through as written, and may split a network's numbers)."""
    return run(con, "unlisted_carriers")


def ingest_ledger(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return run(con, "ingest_ledger")


def ingested_paths(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """path -> when its latest ingest (not replaced since) began, naive UTC."""
    return dict(run(con, "ingested_paths").iter_rows())


def quarantined_rows(
    con: duckdb.DuckDBPyConnection, ingest_id: int | None = None, limit: int = 1000
) -> pl.DataFrame:
    """file_name, line, reason, raw, ingest_id: rows that were rejected, with why."""
    return run(con, "quarantined_rows", ingest_id=ingest_id, limit=limit)


def status(con: duckdb.DuckDBPyConnection) -> dict:
    overview = store_overview(con)
    # Rows a later reading of the same file replaced are no longer in the store.
    ledger = ingest_ledger(con).filter(pl.col("replaced_by").is_null())
    uncatalogued = uncatalogued_codes(con)
    return {
        "messages": int(overview["messages"].sum()) if overview.height else 0,
        "first_at": overview["first_at"].min() if overview.height else None,
        "last_at": overview["last_at"].max() if overview.height else None,
        "files_ingested": ledger.height,
        "rejected_rows": int(ledger["rejected"].sum()) if ledger.height else 0,
        "by_provider_channel": overview,
        "uncatalogued_codes": uncatalogued,
        "unlisted_carriers": unlisted_carriers(con),
    }
