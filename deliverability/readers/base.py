"""What every reader shares: the Reader protocol, the sniffed start of a file, options, and
the staging contract.

A reader is a module with NAME, DESCRIPTION, detect(sniff) and stage(con, sniff, options)
(the Reader protocol below). It turns one file into TEMP TABLE `stage` (or a TEMP VIEW, read
once by ingest) on the connection it is given, with one row per record read (file order),
all text, in the canonical columns below. It never decides what is valid or new: ingest.py
does that for every reader alike. readers/__init__.py registers the readers.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import duckdb

# The staging table every reader fills. `line` is the record's line (or record) number in
# the file (NULL when stage's rows are the file's rows in order: rejected rows are then
# numbered from their position and variable stage_first_line, as the canonical reader sets
# it; readers/csv_rejects.py, number_rejected_rows);
# `reject_reason` is set by the reader for records it could not take apart.
STAGE_COLUMNS = (
    "line",
    "raw",
    "reject_reason",
    "has_send",
    "has_event",
    "message_id",
    "provider",
    "channel",
    "sent_at",
    "sender",
    "recipient",
    "country",
    "carrier",
    "campaign",
    "segments",
    "event_at",
    "status_code",
    "status_text",
    "event_carrier",
    "upstream_provider",
    "upstream_code",
    "tz",
    # The provider's own status word beside a code (Webex deliveryStatus "Failed"): when the
    # catalog does not know the code, the word still tells the outcome.
    "status_word",
)

SEND_COLUMNS = (
    "message_id",
    "provider",
    "channel",
    "sent_at",
    "sender",
    "recipient",
    "country",
    "carrier",
    "campaign",
    "segments",
)
EVENT_COLUMNS = (
    "message_id",
    "provider",
    "channel",
    "event_at",
    "status_code",
    "status_text",
    "carrier",
)

SNIFF_BYTES = 64 * 1024


class Reader(Protocol):
    """A provider's export format (one module in readers/ per format)."""

    NAME: str  # what --format-hint and the ledger call it
    DESCRIPTION: str  # one line: the format and what it holds, shown when nothing matches

    def detect(self, s: Sniff) -> bool:
        """Whether the file's first bytes look like this format (never its name)."""
        ...

    def stage(self, con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
        """Fill TEMP `stage` on CON with the file's records (see the module docstring)."""
        ...


class UnreadableFile(ValueError):
    """The file cannot be read or recognised. The message is one line and names the file."""


@dataclass
class ReadOptions:
    kind: str = "auto"  # sends | events | auto
    provider: str | None = None
    channel: str | None = None
    timezone: str = "UTC"
    format_hint: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # canonical column -> file column
    # When the file was received (naive UTC): the time of its events that carry none of their
    # own, and what that time is ("--received-at", "the file's modification time", "upload
    # time"). Not in the fingerprint: the same content received again adds nothing.
    received_at: datetime | None = None
    received_from: str | None = None

    def fingerprint(self) -> str:
        return json.dumps(
            [
                self.kind,
                self.provider,
                self.channel,
                self.timezone,
                self.format_hint,
                sorted(self.mapping.items()),
            ]
        )


@dataclass
class Sniff:
    """The first bytes of a file, decompressed, and what they look like."""

    path: Path
    compressed: bool
    head: bytes
    text: str

    @property
    def is_parquet(self) -> bool:
        return self.head[:4] == b"PAR1"

    @property
    def first_char(self) -> str:
        stripped = self.text.lstrip("\ufeff \t\r\n")
        return stripped[:1]

    @property
    def looks_json(self) -> bool:
        return self.first_char in ("{", "[")

    @property
    def looks_xml(self) -> bool:
        return self.first_char == "<"

    def first_json(self) -> dict | None:
        """The first JSON object in the file, if the first line or array element parses."""
        text = self.text.lstrip("\ufeff \t\r\n")
        decoder = json.JSONDecoder()
        try:
            if text.startswith("["):
                text = text[1:].lstrip()
            obj, _ = decoder.raw_decode(text)
        except ValueError:
            return None
        return obj if isinstance(obj, dict) else None

    def csv_header(self) -> list[str]:
        lines = self.text.lstrip("\ufeff").splitlines()
        if not lines:
            return []
        try:
            dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        return [h.strip() for h in next(csv.reader(io.StringIO(lines[0]), dialect), [])]


def check_gzip(path: Path, limit: int) -> None:
    """Decompress once, counting, so a bomb or a truncated file stops with a clear reason.

    zlib runs in C; this costs about a second per GB of output and writes nothing.
    """
    import zlib

    total = 0
    decompressor = zlib.decompressobj(wbits=31)
    in_member = False  # inside a gzip member that has not reached its end yet
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            while chunk:
                in_member = True
                out = decompressor.decompress(chunk, 1 << 24)
                total += len(out)
                if total > limit:
                    raise UnreadableFile(
                        f"{path}: decompresses to more than {limit / 1e6:.0f} MB "
                        "(DELIVERABILITY_MAX_DECOMPRESSED_MB); refusing a possible gzip bomb"
                    )
                chunk = decompressor.unconsumed_tail
                if decompressor.eof:
                    # Concatenated members are valid gzip: the next one starts here.
                    chunk = decompressor.unused_data
                    decompressor = zlib.decompressobj(wbits=31)
                    in_member = False
    if in_member:
        raise UnreadableFile(f"{path}: truncated gzip file (the compressed stream ends early)")


def sniff(path: Path, max_decompressed: int | None = None) -> Sniff:
    try:
        with open(path, "rb") as fh:
            start = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read: {exc.strerror or exc}") from exc
    compressed = start[:2] == b"\x1f\x8b"
    head = start
    if compressed and max_decompressed is not None:
        check_gzip(path, max_decompressed)
    if compressed:
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{path}: broken gzip file: {exc}") from exc
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    return Sniff(path=path, compressed=compressed, head=head, text=text)


def lower_map(names: list[str]) -> dict[str, int]:
    """Header name (trimmed, lower-case) -> position; the first of repeated names wins."""
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        found.setdefault(name.strip().lstrip("\ufeff").lower(), i)
    return found
