"""Phone numbers inside free text (status texts, raw rejected lines, senders, message ids):
masked to their last four digits, the same way tables mask recipients.

A phone number here is '+' (or '%2B', a URL-encoded '+') and 7-15 digits, or 10-15 digits,
optionally with spaces, dots, hyphens or brackets between them. It may follow a separator,
the start of the text or a word of letters and underscores (msisdn14155550123,
to_14155550123); a run of digits inside an alphanumeric or hex id (a Twilio SID, a hash) is
not one. Dates, times and ISO timestamps, UUIDs, short codes, error codes, counts and
decimals are left alone: a reviewer still needs them.

Every renderer masks by default and shows numbers in full only when asked to (the
dashboard's Reveal toggle, the CLI's --reveal): `scrub` masks anything a renderer prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

# Spans that are never a phone number, found first so that a number next to one is still
# masked (a candidate ends where they begin): ISO dates and timestamps, UUIDs, times of day,
# numbers masked already.
_PROTECTED = re.compile(
    r"(?<![0-9])\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?(?![0-9])"
    r"|(?<![0-9A-Za-z])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
    r"|(?<![0-9])\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?![0-9])"
    # A number masked already: masking twice changes nothing.
    r"|••••\d{4}"
)
# A candidate: an optional '+' or '%2B', then digits and separators, not inside a longer run
# of digits and not followed by a letter (then it is part of an id). Whether it is a phone
# number, _mask decides: how many digits, what word it is glued to.
_PHONE = re.compile(
    r"(?P<plus>(?<![0-9+])(?:\+|%2[Bb]))?"
    r"(?<![0-9])\(?\d[\d\s().\-]{5,22}\d(?![0-9A-Za-z])"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"\d+\.\d+")
_DIGIT = re.compile(r"\d")
_WORD_BEFORE = re.compile(r"[0-9A-Za-z_]+\Z")
_HEX_LETTERS = frozenset("abcdefABCDEF")
_SPACES = re.compile(r"(\s+)")
# Fewer than 7 digits in a text: nothing in it can be masked.
_ENOUGH_DIGITS = re.compile(r"(?:\d\D*){7}")
# What a column value must hold for anything in it to be masked: 7 or more digits, with
# separators between them, that do not run into a letter. Polars (Rust regex, no
# lookaround, linear time) skips every other value without a Python call: most status
# texts, and the ids whose digits all sit between letters.
_MAYBE_NUMBER = r"\d(?:[\s().\-]*\d){6,}(?:[^0-9A-Za-z]|$)"
# A whole sender value that is a phone number, not a short code or a sender ID: the rule
# queries/sql/messages_in_selection.sql applies to the sender column.
_SENDER_NUMBER = re.compile(r"\+?[0-9]{7,15}")
# Columns whose whole value may be a number too short to tell from a count inside free text
# (a 9-digit national number): masked by mask_sender's rule.
WHOLE_VALUE_COLUMNS = ("sender", "recipient")
MASK = "••••"


def _is_number(text: str, plus: bool) -> bool:
    if _DECIMAL.fullmatch(text) or _DATE.search(text):
        return False
    digits = len(_DIGIT.findall(text))
    return (7 if plus else 10) <= digits <= 15


def _masked(text: str) -> str:
    return MASK + "".join(_DIGIT.findall(text)[-4:])


def _glued_to_an_id(text: str, start: int) -> bool:
    """Whether the candidate at START continues a word that is an id rather than a label:
    a word with digits in it (ab12cd4155550123) or of hex letters only (cafe4155550123)."""
    word = _WORD_BEFORE.search(text, max(0, start - 64), start)
    if word is None:
        return False
    word_text = word.group()
    return any(ch.isdigit() for ch in word_text) or set(word_text) <= _HEX_LETTERS


def _mask(match: re.Match) -> tuple[str, int]:
    """What replaces MATCH, and where to look for the next number: a candidate too long to
    be one number (a reference, then a number) is cut at its spaces, and the search goes on
    right after the part it masked or kept."""
    text = match.group(0)
    plus = match.group("plus") or ""
    body = text[len(plus) :]
    if not plus and _glued_to_an_id(match.string, match.start()):
        return text, match.end()
    if _is_number(body, bool(plus)):
        return _masked(body), match.end()
    parts = _SPACES.split(body)
    if len(parts) == 1:
        return text, match.end()
    pieces, gaps = parts[0::2], parts[1::2]
    # The longest run of pieces from the first that is a number: '+1 415 555 0123' of
    # '+1 415 555 0123 4155550188'.
    for j in range(len(pieces) - 1, 0, -1):
        span = "".join(p + g for p, g in zip(pieces[:j], gaps[:j], strict=True)) + pieces[j]
        if _is_number(span, bool(plus)):
            return _masked(span), match.start() + len(plus) + len(span)
    if _is_number(pieces[0], bool(plus)):
        return _masked(pieces[0]), match.start() + len(plus) + len(pieces[0])
    # No number starts at the first piece ('ref 123456 4155550188'): keep it, look again
    # from the next.
    kept = plus + pieces[0] + gaps[0]
    return kept, match.start() + len(kept)


def _scrub_between(text: str, start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    while (match := _PHONE.search(text, pos, end)) is not None:
        replacement, pos_after = _mask(match)
        out.append(text[pos : match.start()] + replacement)
        pos = pos_after
    out.append(text[pos:end])
    return "".join(out)


def scrub_phones(value: object) -> object:
    """VALUE with anything that looks like a phone number masked to its last four digits."""
    if not isinstance(value, str) or not _ENOUGH_DIGITS.search(value):
        return value
    out: list[str] = []
    pos = 0
    for kept in _PROTECTED.finditer(value):
        out.append(_scrub_between(value, pos, kept.start()))
        out.append(kept.group())
        pos = kept.end()
    out.append(_scrub_between(value, pos, len(value)))
    return "".join(out)


def mask_sender(value: object) -> object:
    """A sender that is a phone number (7-15 digits) masked to its last four digits, as the
    Messages table masks it; short codes and alphanumeric sender IDs are kept."""
    if isinstance(value, str) and _SENDER_NUMBER.fullmatch(value):
        return MASK + value[-4:]
    return scrub_phones(value)


def _scrub_contributor(item: dict) -> dict:
    value = item.get("value")
    masked = mask_sender(value) if item.get("dimension") == "sender" else scrub_phones(value)
    return {**item, "value": masked}


def _scrub_text(series: pl.Series, mask: Callable[[object], object]) -> pl.Series:
    """SERIES masked value by value, each distinct value once: the texts of a column repeat
    (status texts, carriers) and most hold too few digits to look at in Python at all."""
    values = series.drop_nulls().unique()
    values = values.filter(values.str.contains(_MAYBE_NUMBER))
    if values.is_empty():
        return series
    old = values.to_list()
    changed = {o: n for o, n in zip(old, map(mask, old), strict=True) if n != o}
    return series.replace(changed) if changed else series


def _scrub_contributor_lists(series: pl.Series) -> pl.Series:
    """A top_contributors column (lists of dimension/value structs); spikes are few."""
    rows = [
        None if items is None else [_scrub_contributor(item) for item in items]
        for items in series.to_list()
    ]
    return pl.Series(series.name, rows, dtype=series.dtype)


def _is_contributor_list(dtype: pl.DataType) -> bool:
    if not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        return False
    return {"dimension", "value"} <= {field.name for field in dtype.inner.fields}


def scrub_frame(frame: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """FRAME with phone numbers masked in COLUMNS (default: every text column, and spike
    contributor lists). A sender or recipient column is masked by mask_sender's rule."""
    if frame.is_empty():
        return frame
    masked: list[pl.Series] = []
    for name, dtype in frame.schema.items():
        if columns is not None and name not in columns:
            continue
        if dtype == pl.String:
            mask = mask_sender if name in WHOLE_VALUE_COLUMNS else scrub_phones
            masked.append(_scrub_text(frame[name], mask))
        elif _is_contributor_list(dtype):
            masked.append(_scrub_contributor_lists(frame[name]))
    return frame.with_columns(masked) if masked else frame


def scrub_contributors(frame: pl.DataFrame) -> pl.DataFrame:
    """Spike contributors (dimension, value, ...) with sender values masked like the
    Messages table's senders and phone numbers in any other value masked in the text."""
    if frame.is_empty() or "value" not in frame.columns:
        return frame
    values = frame["value"].cast(pl.String)
    return frame.with_columns(
        pl.when(pl.col("dimension") == "sender")
        .then(_scrub_text(values, mask_sender))
        .otherwise(_scrub_text(values, scrub_phones))
        .alias("value")
    )


def scrub(value: object, key: str | None = None) -> object:
    """VALUE as a renderer prints it, phone numbers masked: frames by scrub_frame, dicts
    and lists item by item, text by scrub_phones (by mask_sender under a sender or
    recipient KEY, or as the value of a sender contributor)."""
    if isinstance(value, pl.DataFrame):
        return scrub_frame(value)
    if isinstance(value, dict):
        # A spike contributor: its value is a sender when its dimension says so.
        sender = value.get("dimension") == "sender"
        return {
            k: mask_sender(v) if sender and k == "value" else scrub(v, k) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, key) for v in value)
    if isinstance(value, str):
        return mask_sender(value) if key in WHOLE_VALUE_COLUMNS else scrub_phones(value)
    return value
