"""Phone numbers inside free text (status texts, raw rejected lines, senders): masked to
their last four digits, the same way tables mask recipients.

A phone number here is '+' and 7-15 digits, or 10-15 digits, optionally with spaces, dots,
hyphens or brackets between them. Dates (2024-05-06) and short numbers (codes, counts) are
left alone: a reviewer still needs them.
"""

from __future__ import annotations

import re

import polars as pl

_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().\-]{5,22}\d(?!\w)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A whole sender value that is a phone number, not a short code or a sender ID: the rule
# queries/sql/messages_in_selection.sql applies to the sender column.
_SENDER_NUMBER = re.compile(r"\+?[0-9]{7,15}")
MASK = "••••"


def _mask(match: re.Match) -> str:
    text = match.group(0)
    digits = [ch for ch in text if ch.isdigit()]
    plus = text.startswith("+")
    if _DATE.search(text) or len(digits) > 15 or len(digits) < (7 if plus else 10):
        return text
    return MASK + "".join(digits[-4:])


def scrub_phones(value: object) -> object:
    """VALUE with anything that looks like a phone number masked to its last four digits."""
    return _PHONE.sub(_mask, value) if isinstance(value, str) else value


def scrub_frame(frame: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """FRAME with phone numbers masked in COLUMNS (default: every text column)."""
    text = [
        c for c, t in frame.schema.items() if t == pl.String and (columns is None or c in columns)
    ]
    if not text or frame.is_empty():
        return frame
    return frame.with_columns(
        pl.col(c).map_elements(scrub_phones, return_dtype=pl.String) for c in text
    )


def mask_sender(value: object) -> object:
    """A sender that is a phone number (7-15 digits) masked to its last four digits, as the
    Messages table masks it; short codes and alphanumeric sender IDs are kept."""
    if isinstance(value, str) and _SENDER_NUMBER.fullmatch(value):
        return MASK + value[-4:]
    return scrub_phones(value)


def scrub_contributors(frame: pl.DataFrame) -> pl.DataFrame:
    """Spike contributors (dimension, value, ...) with sender values masked like the
    Messages table's senders and phone numbers in any other value masked in the text."""
    if frame.is_empty() or "value" not in frame.columns:
        return frame
    return frame.with_columns(
        pl.when(pl.col("dimension") == "sender")
        .then(pl.col("value").map_elements(mask_sender, return_dtype=pl.String))
        .otherwise(pl.col("value").map_elements(scrub_phones, return_dtype=pl.String))
        .alias("value")
    )
