"""What a reviewer's note is: its scopes, its subject and its week, checked before the store
keeps one (Store.add_note) and used again when a review looks for the notes covering it.

* scope `week`: the review of that week (subject and week are the ISO week, 'YYYY-Www');
* scope `code`: subject 'provider:channel:code' ('*' for any provider or channel, e.g.
  'twilio:*:30007'), shown in every review whose week has a message ending on that code;
* scope `carrier` / `campaign`: subject is the carrier or campaign name, shown in every
  review whose week has a message from that carrier or campaign (case is ignored).

A code, carrier or campaign note may carry a week: it then applies from that week on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

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


@dataclass(frozen=True)
class Note:
    """A checked note, ready to store."""

    scope: str
    subject: str
    week: str | None
    body: str
    author: str | None


def checked_note(
    scope: str, subject: str, body: str, author: str | None = None, week: str | None = None
) -> Note:
    """The note as the store keeps it; ValueError (one line) when it cannot be kept."""
    if scope not in SCOPES:
        raise ValueError(f"unknown note scope {scope!r}; one of {', '.join(SCOPES)}")
    if not (body or "").strip():
        raise ValueError("a note needs some text")
    if len(body) > MAX_BODY:
        raise ValueError(f"a note is at most {MAX_BODY} characters")
    week = normalise_week(week) if week else None
    author = (author or "").strip() or None
    if scope == "week":
        subject = normalise_week(subject or week or "")
        if week and week != subject:
            raise ValueError("a week note has one week")
        return Note(scope, subject, subject, body.strip(), author)
    subject = (subject or "").strip()
    if not subject:
        raise ValueError(f"a {scope} note needs a {scope}")
    if len(subject) > MAX_SUBJECT:
        raise ValueError(f"a note subject is at most {MAX_SUBJECT} characters")
    if scope == "code" and subject.count(":") < 2:
        subject = code_subject(subject)
    return Note(scope, subject, week, body.strip(), author)
