"""Reviewers' notes on a week, a code, a carrier or a campaign.

A note is stored in the `notes` table (every value bound, never formatted into SQL) and
shows in every weekly review that covers it (queries/sql/notes_covering.sql):

* scope `week`: the review of that week (subject and week are the ISO week, 'YYYY-Www');
* scope `code`: subject 'provider:channel:code' ('*' for any provider or channel, e.g.
  'twilio:*:30007'), shown in every review whose week has a message ending on that code;
* scope `carrier` / `campaign`: subject is the carrier or campaign name, shown in every
  review whose week has a message from that carrier or campaign (case is ignored).

A code, carrier or campaign note may carry a week: it then applies from that week on
(reviews of earlier weeks leave it out). Without one it applies to every week with its
subject in it.

Writing a note bumps the store version, so cached views (the dashboard) refresh.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl

from queries.runner import run, sql

SCOPES = ("week", "code", "carrier", "campaign")
MAX_BODY = 10_000
MAX_SUBJECT = 500
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def parse_week(week: str) -> date:
    """The Monday of ISO week 'YYYY-Www'; ValueError for anything else."""
    match = _WEEK.fullmatch((week or "").strip().upper())
    if not match:
        raise ValueError(f"not an ISO week: {week!r} (use YYYY-Www, e.g. 2024-W18)")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ValueError(f"not an ISO week: {week!r} ({exc})") from exc


def week_label(day: date | datetime) -> str:
    """'YYYY-Www' of the ISO week DAY falls in."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def normalise_week(week: str) -> str:
    return week_label(parse_week(week))


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """Monday 00:00 UTC of WEEK and of the next week (naive UTC, as the store keeps time)."""
    monday = datetime.combine(parse_week(week), datetime.min.time())
    return monday, monday + timedelta(days=7)


def code_subject(code: str, provider: str | None = None, channel: str | None = None) -> str:
    """The subject of a code note: 'provider:channel:code', '*' where not given."""
    code = (code or "").strip().lower()
    if not code:
        raise ValueError("a code note needs a code")
    if code.endswith(".0") and code[:-2].lstrip("-").isdigit():
        code = code[:-2]  # as the store keeps codes (4000.0 from a spreadsheet is 4000)
    parts = [(provider or "*").strip().lower() or "*", (channel or "*").strip().lower() or "*"]
    return ":".join([*parts, code])


def _check(scope: str, subject: str, body: str, week: str | None) -> tuple[str, str | None]:
    if scope not in SCOPES:
        raise ValueError(f"unknown note scope {scope!r}; one of {', '.join(SCOPES)}")
    if not (body or "").strip():
        raise ValueError("a note needs some text")
    if len(body) > MAX_BODY:
        raise ValueError(f"a note is at most {MAX_BODY} characters")
    week = normalise_week(week) if week else None
    if scope == "week":
        subject = normalise_week(subject or week or "")
        if week and week != subject:
            raise ValueError("a week note has one week")
        return subject, subject
    subject = (subject or "").strip()
    if not subject:
        raise ValueError(f"a {scope} note needs a {scope}")
    if len(subject) > MAX_SUBJECT:
        raise ValueError(f"a note subject is at most {MAX_SUBJECT} characters")
    if scope == "code" and subject.count(":") < 2:
        subject = code_subject(subject)
    return subject, week


def add_note(
    store,
    scope: str,
    subject: str,
    body: str,
    author: str | None = None,
    week: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> int:
    """Store a note and bump the store version; returns the note's id.

    store: the open deliverability.store.Store (its write lock and version); con: the
    connection or cursor to write on (default the store's own).
    """
    subject, week = _check(scope, subject, body, week)
    con = con or store.con
    with store.write_lock, store.transaction(con) as tx:
        rows = tx.execute(
            sql("note_insert"),
            {
                "scope": scope,
                "subject": subject,
                "week": week,
                "body": body.strip(),
                "author": (author or "").strip() or None,
                "created_at": datetime.now(UTC).replace(tzinfo=None),
            },
        ).fetchall()  # fetchall drains the result: the connection is free again
        store.bump_version(tx)
    return int(rows[0][0])


def list_notes(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> pl.DataFrame:
    """note_id, scope, subject, week, body, author, created_at; newest first."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown note scope {scope!r}; one of {', '.join(SCOPES)}")
    return run(con, "notes_list", scope=scope)


def notes_covering(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """The notes the review of WEEK shows (see the module docstring); week notes first."""
    week = normalise_week(week)
    since, until = week_bounds(week)
    return run(con, "notes_covering", week=week, since=since, until=until)
