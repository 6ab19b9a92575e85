"""Individual messages and their event histories: the rows behind every number."""

from __future__ import annotations

import duckdb
import polars as pl

from queries.filters import Filters
from queries.runner import run

MESSAGE_LIMIT = 5000


def messages_in_selection(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    outcome: str | None = None,
    reveal: bool = False,
    limit: int = MESSAGE_LIMIT,
) -> pl.DataFrame:
    """provider, message_id, channel, message_at, outcome, category, code, upstream_code,
    status_text, carrier, country, campaign, sender, recipient (masked to the last four
    digits unless reveal), segments, event_count, final_at, has_send; newest first."""
    return run(con, "messages_in_selection", filters, outcome=outcome, reveal=reveal, limit=limit)


def message_events(con: duckdb.DuckDBPyConnection, provider: str, message_id: str) -> pl.DataFrame:
    """event_at, code, status_text, carrier, upstream_code, name, outcome, category, final,
    ingest_id: one message's events in time order, read through the catalog."""
    return run(con, "message_events", provider=provider, message_id=message_id)


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """dimension -> its values in the store, most frequent first."""
    frame = run(con, "filter_options")
    return {
        dim: frame.filter(pl.col("dimension") == dim)["value"].to_list()
        for dim in ("provider", "channel", "carrier", "country", "campaign")
    }


def time_range(con: duckdb.DuckDBPyConnection) -> dict:
    """first_at, last_at, messages."""
    return run(con, "time_range").row(0, named=True)


def catalog_search(
    con: duckdb.DuckDBPyConnection,
    text: str | None = None,
    providers: list[str] | None = None,
    category: str | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """Catalog entries matching TEXT (code prefix, or words in name/description/advice), with
    `messages`: how many stored messages ended on that code."""
    return run(
        con,
        "catalog_search",
        text=(text or "").strip() or None,
        providers=list(providers or []),
        category=category,
        limit=limit,
    )
