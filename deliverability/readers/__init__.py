"""Readers turn a file in a provider's native format into canonical staged rows: the one
registry of them, and how ingest picks one.

The format is recognised from the content (never the file name); --format-hint overrides.
A new format is a module with the Reader protocol (readers/base.py), added to READERS.
"""

from __future__ import annotations

from deliverability.readers import (
    azure_event_grid,
    azure_monitor,
    canonical,
    chirp,
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


def choose_reader(s: Sniff, hint: str | None = None) -> Reader:
    if hint:
        for reader in READERS:
            if reader.NAME == hint:
                return reader
        raise UnreadableFile(
            f"{s.path}: unknown --format-hint {hint!r} (one of: {', '.join(reader_names())})"
        )
    for reader in READERS:
        if reader.detect(s):
            return reader
    if not s.text.strip():
        raise UnreadableFile(f"{s.path}: the file is empty")
    expected = "; ".join(f"{r.NAME}: {r.DESCRIPTION}" for r in READERS)
    raise UnreadableFile(f"{s.path}: unrecognised format. Expected one of: {expected}")
