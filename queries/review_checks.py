"""The weekly review's checks on one week of data: codes new that week, messages left
without a delivery report, files and rejected rows, and days with no data (see
queries/review.py, which puts them in a Review).

The parts read from counts by day (new codes, gaps) take midnights as bounds and refuse
anything else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from deliverability.queries.metrics import ratio
from deliverability.queries.privacy import scrub_frame
from deliverability.queries.report import attach_code_names
from deliverability.queries.runner import run
from deliverability.queries.status import ingest_ledger


def require_midnights(what: str, *times: datetime) -> None:
    """Refuse bounds that are not midnights, for the parts read from counts by day."""
    if any(t != t.replace(hour=0, minute=0, second=0, microsecond=0) for t in times):
        raise ValueError(f"{what} are found between midnights, not {min(times)}..{max(times)}")


def new_codes(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, baseline_start: datetime
) -> pl.DataFrame:
    # The query tells which codes occur when by day (event_code_days).
    require_midnights("new codes", start, end, baseline_start)
    frame = run(con, "codes_new_in_period", since=start, until=end, baseline_since=baseline_start)
    named = attach_code_names(con, frame, columns=("name", "category")).with_columns(
        pl.col("category").fill_null("uncatalogued")
    )
    return scrub_frame(
        named.select(
            "provider", "channel", "code", "name", "category", "events", "messages", "first_seen"
        )
    )


def report_coverage(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pl.DataFrame:
    frame = run(con, "report_coverage_by_provider", since=start, until=end)
    return frame.with_columns(
        pl.col(c).cast(pl.Int64) for c in ("messages", "with_send", "no_report")
    ).with_columns(ratio("no_report", "with_send").alias("no_report_share"))


def ingests(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> tuple[dict, pl.DataFrame]:
    """The files that brought data for the week [START, END) (by the dates of their rows,
    not the day they were ingested) and every file, with rows read and rejected; rejected
    rows by reason for both."""
    ledger = ingest_ledger(con).filter(pl.col("replaced_by").is_null())
    week = run(con, "files_for_period", since=start, until=end)
    ids = [int(i) for i in week["ingest_id"]]
    this_week = {
        "files": week.height,
        "rows": int(week["rows"].sum()) if week.height else 0,
        "rejected": int(week["rejected"].sum()) if week.height else 0,
    }
    overall = {
        "files": ledger.height,
        "rows_read": int(ledger["rows_read"].sum()) if ledger.height else 0,
        "rejected": int(ledger["rejected"].sum()) if ledger.height else 0,
    }
    reasons = pl.concat(
        [
            run(con, "rejections_by_reason", ingest_ids=ids).with_columns(
                pl.lit("this week").alias("period")
            ),
            run(con, "rejections_by_reason", ingest_ids=None).with_columns(
                pl.lit("overall").alias("period")
            ),
        ]
    ).select("period", "reason", pl.col("rows").cast(pl.Int64), pl.col("files").cast(pl.Int64))
    return {"this_week": this_week, "overall": overall}, scrub_frame(reasons)


def gaps(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    baseline_start: datetime,
    data_until: datetime | None,
) -> pl.DataFrame:
    """Days of the week (up to the store's last data) with nothing, overall or per provider."""
    # The query counts rollup_code_hour by day.
    require_midnights("gaps", start, end, baseline_start)
    daily = run(con, "ingest_gaps", since=start, until=end, baseline_since=baseline_start)
    schema = {
        "day": pl.Date,
        "provider": pl.String,
        "kind": pl.String,
        "usual_per_day": pl.Float64,
    }
    if daily.is_empty():
        days = [(start + timedelta(days=i)).date() for i in range(7)]
        cutoff = data_until.date() if data_until else None
        rows = [
            {"day": d, "provider": None, "kind": "no data", "usual_per_day": None}
            for d in days
            if cutoff is not None and d <= cutoff
        ]
        return pl.DataFrame(rows, schema=schema)
    daily = daily.with_columns(
        pl.col("day").cast(pl.Datetime("us")).dt.date(),
        pl.col("messages").cast(pl.Int64),
        pl.col("reported").cast(pl.Int64),
        pl.col("events").cast(pl.Int64),
    )
    last_day = data_until.date() if data_until else start.date()
    in_week = (pl.col("day") >= start.date()) & (pl.col("day") <= last_day)
    before = daily.filter(pl.col("day") < start.date())
    usual = before.group_by("provider").agg(
        pl.col("messages").mean().alias("usual_per_day"),
        (pl.col("messages") > 0).sum().alias("days_with_messages"),
        (pl.col("reported") > 0).sum().alias("days_with_reports"),
    )
    week = daily.filter(in_week)
    total = week.group_by("day").agg(pl.col("messages").sum()).filter(pl.col("messages") == 0)
    overall = total.select(
        "day",
        pl.lit(None, dtype=pl.String).alias("provider"),
        pl.lit("no data").alias("kind"),
        pl.lit(
            float(before["messages"].sum()) / before["day"].n_unique() if before.height else None,
            dtype=pl.Float64,
        ).alias("usual_per_day"),
    )
    per_provider = week.join(usual, on="provider", how="inner").filter(
        ~pl.col("day").is_in(total["day"].implode())
    )
    silent = per_provider.filter(
        (pl.col("messages") == 0) & (pl.col("days_with_messages") > 0)
    ).with_columns(pl.lit("no messages from this provider").alias("kind"))
    unreported = per_provider.filter(
        (pl.col("messages") > 0) & (pl.col("events") == 0) & (pl.col("days_with_reports") > 0)
    ).with_columns(pl.lit("no delivery reports from this provider").alias("kind"))
    parts = [overall] + [
        f.select("day", "provider", "kind", pl.col("usual_per_day").cast(pl.Float64))
        for f in (silent, unreported)
    ]
    return pl.concat(parts).sort("day", "provider", nulls_last=False)
