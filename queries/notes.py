"""Reviewers' notes, read: every note, and the ones a weekly review shows.

What a note is (scopes, subjects, weeks) is deliverability/notes.py; the store writes them
(Store.add_note). A note shows in every review that covers it (queries/sql/notes_covering.sql).
"""

from __future__ import annotations

import duckdb
import polars as pl

from deliverability.notes import SCOPES, normalise_week, week_bounds
from deliverability.queries.runner import run


def list_notes(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> pl.DataFrame:
    """note_id, scope, subject, week, body, author, created_at; newest first."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown note scope {scope!r}; one of {', '.join(SCOPES)}")
    return run(con, "notes_list", scope=scope)


def notes_covering(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """The notes the review of WEEK shows (see deliverability/notes.py); week notes first."""
    week = normalise_week(week)
    since, until = week_bounds(week)
    return run(con, "notes_covering", week=week, since=since, until=until)
