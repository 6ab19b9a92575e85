"""What every reader shares: the Reader protocol, the sniffed start of a file, options, and
the staging contract.

A reader is a module with NAME, DESCRIPTION, detect(sniff) and stage(con, sniff, options)
(the Reader protocol below). It turns one file into TEMP TABLE `stage` (or a TEMP VIEW, read
once by ingest) on the connection it is given, with one row per record read (file order),
all text, in the canonical columns below. It never decides what is valid or new: ingest.py
does that for every reader alike. readers/__init__.py registers the readers.
"""

from __future__ import annotations

import codecs
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
    # csv_encoding's answer, once it has read the file.
    encoding: str | None = None

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
        """The first JSON object in the file: the first line or array element, or (NDJSON
        whose first line is broken) the first of the next lines that is one."""
        text = self.text.lstrip("\ufeff \t\r\n")
        decoder = json.JSONDecoder()
        try:
            obj, _ = decoder.raw_decode(text[1:].lstrip() if text.startswith("[") else text)
            return obj if isinstance(obj, dict) else None
        except ValueError:
            pass
        if text.startswith("["):
            return None
        for line in text.split("\n", 21)[1:21]:
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    return obj
        return None

    def csv_dialect(self) -> type[csv.Dialect] | csv.Dialect:
        """The header line's dialect as Python's csv module sees it (delimiter ,;TAB|)."""
        lines = self.text.lstrip("\ufeff").splitlines()
        try:
            return csv.Sniffer().sniff(lines[0], delimiters=",;\t|") if lines else csv.excel
        except csv.Error:
            return csv.excel

    def csv_header(self) -> list[str]:
        lines = self.text.lstrip("\ufeff").splitlines()
        if not lines:
            return []
        return [h.strip() for h in next(csv.reader(io.StringIO(lines[0]), self.csv_dialect()), [])]


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


_ENCODING_CHUNK = 4 * 1024 * 1024


def _utf8_throughout(s: Sniff) -> bool:
    """Whether to read the file (decompressed) as UTF-8: every byte decodes, or it holds
    real UTF-8 text (a multi-byte character) before a bad byte, which is then a stray in a
    UTF-8 file (its line is rejected) rather than a sign of Latin-1 (which would turn every
    accented letter before it into two). Read in chunks, stopping at the first bad byte:
    a Latin-1 export is often ASCII for its first megabytes."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    opener = gzip.open if s.compressed else open
    multibyte = False
    try:
        with opener(s.path, "rb") as fh:
            while chunk := fh.read(_ENCODING_CHUNK):
                try:
                    multibyte = multibyte or not decoder.decode(chunk).isascii()
                except UnicodeDecodeError as exc:
                    good = chunk[: exc.start].decode("utf-8", errors="ignore")
                    return multibyte or not good.isascii()
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return multibyte
    except (OSError, EOFError):
        return True  # a read error is reported by the reader that reads the file
    return True


def csv_encoding(s: Sniff) -> str:
    """The text encoding of a CSV or line file: UTF-16 by its byte-order mark, UTF-8 when
    the file is UTF-8 (_utf8_throughout), else Latin-1 (which decodes any byte)."""
    if s.head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        s.head[: len(s.head) - 4].decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    if s.encoding is None:
        s.encoding = "utf-8" if _utf8_throughout(s) else "latin-1"
    return s.encoding


def csv_source(s: Sniff, rejects_table: str, rejects_scan: str) -> tuple[str, list]:
    """read_csv(...) over S as text columns with its bound parameters; bad lines (one over
    2 MiB too) go to REJECTS_TABLE. REJECTS_TABLE and REJECTS_SCAN are our own table names."""
    relation = (
        "read_csv(?, all_varchar=true, header=true, compression=?, encoding=?, "
        f"store_rejects=true, rejects_table='{rejects_table}', rejects_scan='{rejects_scan}', "
        "max_line_size=2097152"
    )
    params = [str(s.path), "gzip" if s.compressed else "none", csv_encoding(s)]
    if _sniffer_reads(relation + ")", params):
        return relation + ")", params
    # DuckDB's sniffer gives up on a sample holding an overlong line; the header line's own
    # dialect lets DuckDB read on, setting that one line aside like any other bad line.
    names: dict[str, str] = {}
    for name in s.csv_header():
        unique, n = name or "column", 1
        while unique in names:
            n += 1
            unique = f"{name or 'column'}_{n}"
        names[unique] = "VARCHAR"
    if not names:
        return relation + ")", params
    dialect = s.csv_dialect()
    quote = dialect.quotechar or '"'
    return (
        relation + ", auto_detect=false, delim=?, quote=?, escape=?, columns=?)",
        [*params, dialect.delimiter, quote, quote, names],
    )


def _sniffer_reads(relation: str, params: list) -> bool:
    """Whether DuckDB's sniffer can read the file. Tried on a connection of its own: a failed
    read would abort the ingest's transaction."""
    probe = duckdb.connect()
    try:
        probe.execute(f"DESCRIBE SELECT * FROM {relation}", params)  # noqa: S608 - fixed text
        return True
    except duckdb.Error:
        return False
    finally:
        probe.close()
