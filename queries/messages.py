"""Individual messages and their event histories: the rows behind every number."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from deliverability.queries.filters import Filters
from deliverability.queries.report import attach_code_names, counts
from deliverability.queries.runner import run
from deliverability.queries.zones import DEFAULT_ZONE, times_in_zone, to_local, to_utc

MESSAGE_LIMIT = 5000
# More than every entry the shipped catalog holds (about 600), so a search lists them all.
CATALOG_LIMIT = 5000
# Where a message's events are looked for first (message_events): reports arrive within
# hours of the send, a provider's clock may run a little ahead of the sender's.
EVENTS_BEFORE_MESSAGE = timedelta(days=1)
EVENTS_AFTER_MESSAGE = timedelta(days=3)


def messages_in_selection(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    outcome: str | None = None,
    reveal: bool = False,
    limit: int | None = MESSAGE_LIMIT,
) -> pl.DataFrame:
    """provider, message_id, channel, message_at, outcome, category, code, upstream_code,
    status_text, carrier, country, campaign, sender, recipient (masked to the last four
    digits unless reveal), segments, event_count, final_at, has_send; newest first; at most
    LIMIT of them (None: every one). Times are wall-clock times in the filters' zone."""
    frame = run(
        con, "messages_in_selection", filters, outcome=outcome, reveal=reveal,
        limit=limit if limit is not None else 2**62,
    )  # fmt: skip
    return times_in_zone(frame, filters.zone, ("message_at", "final_at"))


def count_in_selection(
    con: duckdb.DuckDBPyConnection, filters: Filters, outcome: str | None = None
) -> int:
    """How many messages messages_in_selection would list without its limit."""
    return int(run(con, "messages_count", filters, outcome=outcome)["messages"][0])


def message_events(
    con: duckdb.DuckDBPyConnection,
    provider: str,
    message_id: str,
    message_at: datetime | None = None,
    event_count: int | None = None,
    zone: str = DEFAULT_ZONE,
) -> pl.DataFrame:
    """event_at, code, status_text, carrier, upstream_code, name, outcome, category, final,
    ingest_id: one message's events in time order, read through the catalog.

    With the message's message_at and event_count (a messages_in_selection row has both),
    the events stamped near message_at are read first: DuckDB then skips most of the events
    table (a message without any report, event_count 0, costs no more). Only when that finds
    fewer than event_count events is every event read. message_at and the event times
    returned are wall-clock times in ZONE."""
    return times_in_zone(
        _message_events(con, provider, message_id, to_utc(message_at, zone), event_count),
        zone,
        ("event_at",),
    )


def _message_events(
    con: duckdb.DuckDBPyConnection,
    provider: str,
    message_id: str,
    message_at: datetime | None,
    event_count: int | None,
) -> pl.DataFrame:
    if message_at is not None and event_count is not None:
        near = run(
            con,
            "message_events",
            provider=provider,
            message_id=message_id,
            since=message_at - EVENTS_BEFORE_MESSAGE,
            until=message_at + EVENTS_AFTER_MESSAGE,
        )
        if near.height == event_count:
            return near
    return run(
        con, "message_events", provider=provider, message_id=message_id, since=None, until=None
    )


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """dimension -> its values in the store, most frequent first."""
    frame = run(con, "filter_options")
    return {
        dim: frame.filter(pl.col("dimension") == dim)["value"].to_list()
        for dim in ("provider", "channel", "carrier", "country", "campaign")
    }


def time_range(con: duckdb.DuckDBPyConnection, zone: str = DEFAULT_ZONE) -> dict:
    """first_at, last_at (wall-clock times in ZONE), messages."""
    span = run(con, "time_range").row(0, named=True)
    return {
        **span,
        "first_at": to_local(span["first_at"], zone),
        "last_at": to_local(span["last_at"], zone),
    }


def catalog_search(
    con: duckdb.DuckDBPyConnection,
    text: str | None = None,
    providers: list[str] | None = None,
    category: str | None = None,
    filters: Filters | None = None,
    limit: int = CATALOG_LIMIT,
) -> pl.DataFrame:
    """Catalog entries matching TEXT (code prefix, or words in name/description/advice), with
    `messages`: how many messages in FILTERS' selection ended on that code. An exact code
    match comes first, then the codes with the most messages."""
    entries = run(
        con,
        "catalog_search",
        text=(text or "").strip() or None,
        providers=list(providers or []),
        category=category,
    )
    ended = (
        counts(con, ["code"], filters or Filters())
        .group_by("provider", "channel", "code")
        .agg(pl.col("messages").sum())
    )
    # An entry for channel '*' covers the code on every channel.
    on_any_channel = ended.group_by("provider", "code").agg(
        pl.col("messages").sum().alias("any_channel")
    )
    return (
        entries.join(ended, on=["provider", "channel", "code"], how="left")
        .join(on_any_channel, on=["provider", "code"], how="left")
        .with_columns(
            pl.when(pl.col("channel") == "*")
            .then(pl.col("any_channel"))
            .otherwise(pl.col("messages"))
            .fill_null(0)
            .cast(pl.Int64)
            .alias("messages")
        )
        .sort(
            ["exact_match", "messages", "provider", "channel", "code", "variant"],
            descending=[True, True, False, False, False, False],
        )
        .drop("exact_match", "any_channel")
        .head(limit)
    )


def code_entry(
    con: duckdb.DuckDBPyConnection, provider: str, channel: str | None, code: str | None
) -> dict | None:
    """The catalog's entry for a message's code (the channel's own, else the provider's
    '*'): name, description, advice, advice_from, link, category, outcome; None if none."""
    if not code:
        return None
    frame = attach_code_names(
        con,
        pl.DataFrame(
            {"provider": [provider], "channel": [channel], "code": [code]},
            schema={"provider": pl.String, "channel": pl.String, "code": pl.String},
        ),
        columns=("name", "description", "advice", "advice_from", "link", "category", "outcome"),
    )
    row = frame.row(0, named=True)
    return row if row["name"] is not None else None
