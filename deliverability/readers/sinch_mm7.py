"""Sinch MM7 (MMS) `DeliveryReportReq` XML: SOAP envelopes, bare reports, or many of either.

The file is read in chunks and cut into one piece per `<DeliveryReportReq>` element (any
namespace prefix); each piece is parsed on its own (expat, no namespace processing, so an
undeclared prefix does not matter), and a piece that does not parse is one rejected record
at its line, while the others load. Rows go to DuckDB in Arrow batches.

`MessageID` is the message, `Date` (UTC) the event time, `MMStatus` (Retrieved, Expired,
...) lower-cased the code, `StatusText` its text, `Recipient/Number` and `Sender/Number`
(international, without '+') the numbers. The channel is mms.
"""

from __future__ import annotations

import codecs
import gzip
import re
import xml.parsers.expat
from collections.abc import Iterator

import duckdb
import pyarrow as pa

from deliverability.readers import native
from deliverability.readers.base import ReadOptions, Sniff, UnreadableFile
from deliverability.readers.csv_rejects import MAX_RAW

NAME = "sinch_mm7"
DESCRIPTION = "Sinch MM7 DeliveryReportReq XML (MessageID, Recipient, Date, MMStatus, StatusText)"

START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?DeliveryReportReq(?=[\s/>])")
END = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?DeliveryReportReq\s*>")
CHUNK = 1 << 20
BATCH = 50_000
UNCLOSED = "malformed record: <DeliveryReportReq> is not closed"
TAIL = 64  # characters kept between chunks so a tag cut in two is still found
COLUMNS = (
    "line",
    "raw",
    "reason",
    "part",
    *(
        f"f_{c}"
        for c in (
            "message_id",
            "recipient",
            "sender",
            "date",
            "status",
            "status_text",
        )
    ),
)
# (parent, element) -> field; parent None means a direct child of DeliveryReportReq.
WANTED = {
    (None, "messageid"): "message_id",
    (None, "date"): "date",
    (None, "mmstatus"): "status",
    (None, "statustext"): "status_text",
    ("recipient", "number"): "recipient",
    ("recipient", "rfc2822address"): "recipient",
    ("recipient", "shortcode"): "recipient",
    ("sender", "number"): "sender",
    ("sender", "shortcode"): "sender",
    ("senderaddress", "number"): "sender",
    ("senderaddress", "shortcode"): "sender",
}


def detect(s: Sniff) -> bool:
    return s.looks_xml and START.search(s.text) is not None


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def parse_record(text: str) -> dict[str, str]:
    """Fields of one DeliveryReportReq element; raises ValueError when it is not well-formed."""
    found: dict[str, str] = {}
    stack: list[str] = []
    buffer: list[str] = []

    def start(name: str, _attrs: dict) -> None:
        stack.append(_local(name))
        buffer.clear()

    def end(_name: str) -> None:
        # stack[0] is DeliveryReportReq itself.
        path = stack[1:]
        key = None
        if len(path) == 1:
            key = WANTED.get((None, path[0]))
        elif len(path) == 2:
            key = WANTED.get((path[0], path[1]))
        if key and key not in found:
            value = "".join(buffer).strip()
            if value:
                found[key] = value
        stack.pop()
        buffer.clear()

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = buffer.append
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ValueError(xml.parsers.expat.ErrorString(exc.code)) from exc
    return found


def _chunks(s: Sniff) -> Iterator[str]:
    opener = gzip.open if s.compressed else open
    try:
        with opener(s.path, "rb") as fh:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            while block := fh.read(CHUNK):
                yield decoder.decode(block)
            yield decoder.decode(b"", final=True)
    except (OSError, EOFError) as exc:
        raise UnreadableFile(f"{s.path}: cannot read: {exc}") from exc


def records(s: Sniff) -> Iterator[tuple[int, str | None, str | None, dict[str, str]]]:
    """(line, raw, reason, fields) per DeliveryReportReq, streaming through the file."""
    chunks = _chunks(s)
    buffer = ""
    line = 1  # the line number of buffer[0]
    eof = False

    def more() -> None:
        nonlocal buffer, eof
        try:
            buffer += next(chunks)
        except StopIteration:
            eof = True

    while True:
        found = START.search(buffer)
        if found is None:
            if eof:
                return
            keep = max(len(buffer) - TAIL, 0)
            line += buffer.count("\n", 0, keep)
            buffer = buffer[keep:]
            more()
            continue
        line += buffer.count("\n", 0, found.start())
        buffer = buffer[found.start() :]
        end = END.search(buffer)
        following = START.search(buffer, 1)
        if end is not None and (following is None or end.start() < following.start()):
            text = buffer[: end.end()]
            try:
                yield line, None, None, parse_record(text)
            except ValueError as exc:
                yield line, text[:MAX_RAW], f"malformed record: {exc}", {}
        elif following is not None or eof:
            # Not closed before the next report starts (or the file ends).
            text = buffer[: following.start()] if following is not None else buffer
            yield line, text[:MAX_RAW], UNCLOSED, {}
        else:
            more()
            continue
        line += text.count("\n")
        buffer = buffer[len(text) :]


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE src ("
        + ", ".join(f"{c} {'BIGINT' if c in ('line', 'part') else 'VARCHAR'}" for c in COLUMNS)
        + ")"
    )
    columns: dict[str, list] = {c: [] for c in COLUMNS}

    def flush() -> None:
        if not columns["line"]:
            return
        batch = pa.table({c: columns[c] for c in COLUMNS})
        con.register("mm7_batch", batch)
        try:
            con.execute("INSERT INTO src SELECT * FROM mm7_batch")
        finally:
            con.unregister("mm7_batch")
        for values in columns.values():
            values.clear()

    for line, raw, reason, fields in records(s):
        columns["line"].append(line)
        columns["raw"].append(raw)
        columns["reason"].append(reason)
        columns["part"].append(0)
        for name in ("message_id", "recipient", "sender", "date", "status", "status_text"):
            columns[f"f_{name}"].append(fields.get(name))
        if len(columns["line"]) >= BATCH:
            flush()
    flush()
    native.write_stage(
        con,
        opts,
        {
            "has_event": "f_status IS NOT NULL",
            "message_id": "f_message_id",
            "provider": "'sinch'",
            "channel": "lower(coalesce($channel, 'mms'))",
            "sender": "f_sender",
            "recipient": "f_recipient",
            "event_at": "f_date",
            "status_code": "lower(f_status)",
            "status_text": "coalesce(f_status_text, f_status)",
            "status_word": "f_status",
        },
        params={"channel": opts.channel},
    )
