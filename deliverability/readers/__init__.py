"""Readers turn a file in a provider's native format into canonical staged rows: the one
registry of them, and how ingest picks one.

The format is recognised from the content (never the file name); --format-hint overrides.
A new format is a module with the Reader protocol (readers/base.py), added to READERS.
"""

from __future__ import annotations

import re

from deliverability.readers import (
    azure_event_grid,
    azure_monitor,
    canonical,
    chirp,
    native,
    sfmc,
    sinch_mm7,
    sinch_sms,
    telnyx_mdr,
    telnyx_webhook,
    twilio_bulk,
    twilio_callbacks,
    twilio_console,
    webex_export,
    webex_webhook,
)
from deliverability.readers.base import Reader, Sniff, UnreadableFile

# Most specific first: the canonical reader accepts anything with canonical column names.
READERS: tuple[Reader, ...] = (
    azure_event_grid,
    azure_monitor,
    sfmc,
    sinch_sms,
    sinch_mm7,
    webex_webhook,
    webex_export,
    telnyx_webhook,
    telnyx_mdr,
    chirp,
    twilio_callbacks,
    twilio_bulk,
    twilio_console,
    canonical,
)


def reader_names() -> list[str]:
    return [r.NAME for r in READERS]


def choose_reader(s: Sniff, hint: str | None = None, mapped: bool = False) -> Reader:
    """The reader for S: HINT's when given; the canonical reader when the user MAPPED the
    columns (a mapping the user gives wins over detection); else the first that detects it."""
    if hint:
        for reader in READERS:
            if reader.NAME == hint:
                return reader
        raise UnreadableFile(
            f"{s.path}: unknown --format-hint {hint!r} (one of: {', '.join(reader_names())})"
        )
    if mapped:
        return canonical
    for reader in READERS:
        if reader.detect(s):
            return reader
    if not s.text.strip():
        raise UnreadableFile(f"{s.path}: the file is empty")
    near = closest_readers(s)
    raise UnreadableFile(
        f"{s.path}: unrecognised format"
        + (f" (closest: {', '.join(near)})" if near else "")
        + "; name its columns with --map message_id=...,event_at=...,status_code=... "
        "or pick a reader with --format-hint (see `deliverability ingest --help`)"
    )


def _names(value: object) -> set[str]:
    """Every field name inside a reader's FIELDS value (names, or paths of names)."""
    if isinstance(value, str):
        return {native.norm_header(value)}
    if isinstance(value, tuple | list):
        return set().union(*(_names(v) for v in value)) if value else set()
    return set()


def _keys(obj: object, depth: int = 3) -> set[str]:
    """The keys of a JSON record, nested ones included."""
    if depth == 0:
        return set()
    if isinstance(obj, dict):
        return {native.norm_header(str(k)) for k in obj} | set().union(
            set(), *(_keys(v, depth - 1) for v in obj.values())
        )
    if isinstance(obj, list):
        return set().union(set(), *(_keys(v, depth - 1) for v in obj[:3]))
    return set()


def closest_readers(s: Sniff, most: int = 2) -> list[str]:
    """The readers whose field names (FIELDS, and the names DESCRIPTION gives) overlap the
    file's header or keys most, by share of the names either has; none shared: []."""
    found = _keys(native.first_record(s)) if s.looks_json else native.csv_headers(s)
    scores = []
    for index, reader in enumerate(READERS):
        names = {native.norm_header(w) for w in re.findall(r"[A-Za-z_]\w+", reader.DESCRIPTION)}
        names |= _names(list(getattr(reader, "FIELDS", {}).values()))
        if reader is canonical:
            names |= {native.norm_header(c) for c in canonical.KNOWN}
        shared = found & names
        if shared:
            scores.append((-len(shared) / len(found | names), index, reader.NAME))
    return [name for _, _, name in sorted(scores)[:most]]
