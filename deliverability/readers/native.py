"""What the providers' native readers share: reading records, finding fields, staging rows.

A native reader works in two steps, both in DuckDB:

1. Its records go into TEMP TABLE `src` (`line`, `raw`, `reason`, one `f_<field>` text column
   per field it wants). JSON (NDJSON, a JSON array, or concatenated objects) is split into
   records and its fields found by key, case-insensitively, at any depth (native_json.py);
   CSV columns are found by header name (case, spaces and punctuation ignored). A record
   that cannot be taken apart keeps its line with `reason` set.
2. `write_stage` maps `src` to the canonical STAGE columns with SQL expressions the reader
   writes. Everything from the file travels as data; the only text put into SQL is ours.

Line numbers are the file's physical lines for NDJSON, form-encoded lines and CSV (header
counted), and the record number for a JSON array or pretty-printed objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import duckdb

from deliverability.readers.base import (
    STAGE_COLUMNS,
    ReadOptions,
    Sniff,
    UnreadableFile,
    csv_encoding,
    csv_source,
)
from deliverability.readers.csv_rejects import MAX_RAW, malformed_lines, shift_past_rejects

# A path into a JSON record: keys as the provider documents them (matched ignoring case)
# and integer array indexes. A field is one or more alternative paths, tried in order.
Path = tuple[str | int, ...]

# The byte that splits "columns" when a file is read as plain lines: a raw control character
# never occurs in valid JSON or in a URL-encoded body, so every line is one column.
LINE_DELIMITER = chr(0x1F)
# Longest line (or JSON object) read. DuckDB's CSV reader sizes its buffers from it (16x by
# default, a 1 GiB allocation at 64 MiB that fails under a modest memory limit), so the
# buffer size is set explicitly to LINE_BUFFER.
MAX_LINE = 16 * 1024 * 1024
LINE_BUFFER = 2 * MAX_LINE

MACROS = """
-- Child k of JSON object o, key matched ignoring case (the documented spelling first).
CREATE OR REPLACE TEMP MACRO jci(o, k, lk) AS coalesce(
    json_extract(o, '$."' || k || '"'),
    json_extract(o, '$."' || list_filter(json_keys(o), lambda x: lower(x) = lk)[1] || '"')
);
-- A JSON value as text: strings without quotes, numbers as written, null as NULL.
CREATE OR REPLACE TEMP MACRO jtext(v) AS nullif(trim(json_extract_string(v, '$')), '');
-- Value of key k in a form-encoded body split on '&' (key matched ignoring case).
-- A value that does not decode (broken percent-escapes) is kept as written.
CREATE OR REPLACE TEMP MACRO form_raw(parts, k) AS replace(
    substr(list_filter(parts, lambda x: lower(split_part(x, '=', 1)) = k)[1], length(k) + 2),
    '+', ' ');
CREATE OR REPLACE TEMP MACRO form_get(parts, k) AS
    nullif(trim(coalesce(try(url_decode(form_raw(parts, k))), form_raw(parts, k))), '');
-- A boolean flag as exports write it: 1/0, true/false, yes/no.
CREATE OR REPLACE TEMP MACRO flag(v) AS (
    CASE WHEN lower(trim(v)) IN ('1', 'true', 't', 'yes', 'y') THEN true
         WHEN lower(trim(v)) IN ('0', 'false', 'f', 'no', 'n') THEN false END
);
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MACROS)


# --------------------------------------------------------------------------------------
# Detection helpers (run on the sniffed start of the file, never on the file name)


def lower_keys(obj: object) -> object:
    """A JSON value with every object key lower-cased (for detection on one record)."""
    if isinstance(obj, dict):
        return {str(k).lower(): lower_keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [lower_keys(v) for v in obj]
    return obj


# Keys under which an API's list page holds its records (Twilio's messages, Sinch's
# delivery_reports): such a page stands for its records.
PAGE_KEYS = ("messages", "delivery_reports")
# The start of such a page: its list opens before any other list does.
_PAGE_START = re.compile(r'\{[^\[]*?"(?:' + "|".join(PAGE_KEYS) + r')"\s*:\s*\[', re.IGNORECASE)


def page_start(s: Sniff) -> int | None:
    """Where the list of an API list page opens in S's text (None: not a page)."""
    text = s.text.lstrip("\ufeff \t\r\n")
    match = _PAGE_START.match(text)
    return len(s.text) - len(text) + match.end() if match else None


# Records a format is decided from: a webhook log mixes event types (a subscription's
# validation event first, inbound messages between delivery reports), so the first record
# alone does not tell.
SAMPLE_RECORDS = 1000
_BETWEEN_RECORDS = re.compile(r"[\s,\]]*")


def sample_records(s: Sniff, limit: int = SAMPLE_RECORDS) -> list[dict]:
    """Up to LIMIT JSON objects from the start of the file (its first 64 KiB), keys
    lower-cased: the elements of a JSON array, or one per NDJSON line (a line holding an
    array, as Event Grid posts them, gives each element). A line that does not parse is
    passed over; [] for a file that is not JSON."""
    if not s.looks_json:
        return []
    page = page_start(s)
    text = s.text if page is not None else s.text.lstrip("\ufeff \t\r\n")
    # A page's records are read one by one from its list, so a page longer than the sample
    # is still recognised.
    pos = page if page is not None else (1 if text.startswith("[") else 0)
    decoder = json.JSONDecoder()
    records: list[dict] = []
    while len(records) < limit:
        pos = _BETWEEN_RECORDS.match(text, pos).end()
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            lenient = _lenient_record(decoder, text, pos)
            if lenient is not None:
                value, pos = lenient
                records += [lower_keys(v) for v in (value if isinstance(value, list) else [value])
                            if isinstance(v, dict)]  # fmt: skip
                continue
            next_line = text.find("\n", pos)
            if next_line < 0:
                break  # the sample ends inside a record
            pos = next_line + 1
            continue
        while isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
            value = value[0]
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                continue
            page = next((item[k] for k in PAGE_KEYS if isinstance(item.get(k), list)), None)
            for record in page if page is not None else [item]:
                if isinstance(record, dict):
                    records.append(lower_keys(record))
    return records[:limit]


_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _lenient_record(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[object, int] | None:
    """The record at POS read as DuckDB's JSON reader reads it, trailing commas allowed
    (some providers publish examples so); its end is found in the text as it stands."""
    if not text.startswith("{", pos):
        return None
    depth, quoted, escaped = 0, False, False
    for end in range(pos, len(text)):
        ch = text[end]
        if quoted:
            escaped, quoted = (not escaped and ch == "\\"), quoted and (escaped or ch != '"')
            continue
        if ch == '"':
            quoted = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                try:
                    return decoder.decode(_TRAILING_COMMA.sub(r"\1", text[pos : end + 1])), end + 1
                except ValueError:
                    return None
    return None  # the sample ends inside the record


def first_record(s: Sniff) -> dict:
    """The first JSON object of the file, keys lower-cased ({} when there is none)."""
    return next(iter(sample_records(s, 1)), {})


def dig(obj: object, *path: str | int) -> object:
    for seg in path:
        if isinstance(seg, int):
            if not isinstance(obj, list) or len(obj) <= seg:
                return None
            obj = obj[seg]
        else:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(seg)
    return obj


def norm_header(name: str) -> str:
    """Header name for matching: lower-case, units like ' [UTC]' and punctuation dropped."""
    name = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", name.lstrip("\ufeff").lower())
    return re.sub(r"[^a-z0-9]", "", name)


def csv_headers(s: Sniff) -> set[str]:
    if s.looks_json or s.looks_xml or s.is_parquet:
        return set()
    return {norm_header(h) for h in s.csv_header()}


# --------------------------------------------------------------------------------------
# Reading records


def relation_params(s: Sniff) -> dict:
    return {"path": str(s.path), "compression": "gzip" if s.compressed else "none"}


def read_lines(con: duckdb.DuckDBPyConnection, s: Sniff) -> None:
    """TEMP TABLE lines(line, raw, reason): every physical line, numbered from 1.

    Blank lines are dropped after numbering. A line DuckDB cannot read (invalid text
    encoding, a stray control character) keeps its number with a reason.
    """
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_scans")
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE lines_body AS
            SELECT l AS raw FROM read_csv($path, columns={'l': 'VARCHAR'}, delim=$delim,
                quote='', escape='', header=false, auto_detect=false, compression=$compression,
                encoding=$encoding, store_rejects=true, rejects_table='csv_rejects',
                rejects_scan='csv_scans', max_line_size=$max_line, buffer_size=$buffer)
            """,
            {
                **relation_params(s),
                "delim": LINE_DELIMITER,
                "encoding": csv_encoding(s),
                "max_line": MAX_LINE,
                "buffer": LINE_BUFFER,
            },
        )
    except duckdb.Error as exc:
        raise UnreadableFile(f"{s.path}: cannot read: {str(exc).splitlines()[0]}") from exc
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lines AS SELECT "
        "rowid - (SELECT min(rowid) FROM lines_body) + 1 AS line, raw, "
        "CAST(NULL AS VARCHAR) AS reason FROM lines_body"
    )
    con.execute("DROP TABLE lines_body")
    _merge_csv_rejects(con, "lines", header_lines=0)
    con.execute("DELETE FROM lines WHERE reason IS NULL AND trim(coalesce(raw, '')) = ''")


def _merge_csv_rejects(con: duckdb.DuckDBPyConnection, table: str, header_lines: int) -> None:
    """Lines DuckDB's CSV reader rejected go into `table` (one of our fixed names) with
    their real line numbers; the parsed rows move down past them."""
    if shift_past_rejects(con, table, "csv_rejects", header_lines):
        con.execute(f"INSERT INTO {table} (line, raw, reason) {malformed_lines('csv_rejects')}")  # noqa: S608


def csv_src(
    con: duckdb.DuckDBPyConnection, s: Sniff, fields: dict[str, Iterable[str]]
) -> dict[str, bool]:
    """TEMP TABLE src(line, raw, reason, f_<field>...) from a CSV with a header.

    Each field is the first column whose header matches one of its names (case, spaces and
    punctuation ignored). Returns which fields the file has.
    """
    relation, params = csv_source(s, "csv_rejects", "csv_scans")
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_scans")
    try:
        # relation is csv_source's fixed template; the path and options are bound.
        names = [
            r[0]
            for r in con.execute(f"DESCRIBE SELECT * FROM {relation}", params).fetchall()  # noqa: S608
        ]
    except duckdb.Error as exc:
        raise UnreadableFile(f"{s.path}: cannot parse: {str(exc).splitlines()[0]}") from exc
    by_norm: dict[str, int] = {}
    for i, name in enumerate(names):
        by_norm.setdefault(norm_header(name), i)
    positions: dict[str, int | None] = {}
    for name, candidates in fields.items():
        positions[name] = next(
            (by_norm[norm_header(c)] for c in candidates if norm_header(c) in by_norm), None
        )
    outputs = [
        (f"c{pos}" if pos is not None else "CAST(NULL AS VARCHAR)") + f" AS f_{name}"
        for name, pos in positions.items()
    ]
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE src_body AS SELECT "  # noqa: S608
            + ", ".join(outputs)
            + f" FROM {relation} AS t({aliases})",
            params,
        )
    except duckdb.Error as exc:
        raise UnreadableFile(f"{s.path}: cannot parse: {str(exc).splitlines()[0]}") from exc
    con.execute(
        "CREATE OR REPLACE TEMP TABLE src AS SELECT "
        "rowid - (SELECT min(rowid) FROM src_body) + 2 AS line, "
        "CAST(NULL AS VARCHAR) AS raw, CAST(NULL AS VARCHAR) AS reason, 0 AS part, * "
        "FROM src_body"
    )
    con.execute("DROP TABLE src_body")
    _merge_csv_rejects(con, "src", header_lines=1)
    return {name: pos is not None for name, pos in positions.items()}


# --------------------------------------------------------------------------------------
# Staging


def write_stage(
    con: duckdb.DuckDBPyConnection,
    opts: ReadOptions,
    select: dict[str, str],
    source: str = "src",
    params: dict | None = None,
) -> None:
    """TEMP TABLE stage from `source` with the reader's SQL expression per stage column.

    Columns the reader leaves out are NULL; `line` and `reject_reason` default to the source's
    line and reason. `raw` keeps the record's text (shortened) for rows the reader rejects or
    that lack a message id, so quarantine shows what was in the file. `--kind` keeps only
    the send or the event side of each record.
    """
    exprs = {
        "line": "line",
        "reject_reason": "reason",
        "has_send": "false",
        "has_event": "false",
        **select,
    }
    if opts.kind == "events":
        exprs["has_send"] = "false"
    elif opts.kind == "sends":
        exprs["has_event"] = "false"
    body = []
    for column in STAGE_COLUMNS:
        if column == "raw":
            continue
        expr = exprs.get(column, "CAST(NULL AS VARCHAR)")
        body.append(f"{expr} AS {column}")
    inner = ",\n  ".join(body)
    # Only the readers' own fixed expressions are in this text.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage AS
        SELECT line,
            CASE WHEN reject_reason IS NOT NULL OR message_id IS NULL
                 THEN left(src_raw, {MAX_RAW}) END AS raw,
            * EXCLUDE (line, src_raw, src_order, src_part)
        FROM (
            SELECT {inner},
                src_raw, src_order, src_part
            FROM (SELECT *, raw AS src_raw, line AS src_order, part AS src_part FROM {source})
        )
        ORDER BY src_order, src_part
        """,  # noqa: S608
        params or {},
    )
    # Rows the reader rejected carry nothing else: ingest counts them as rejected.
    con.execute(
        "UPDATE stage SET has_send = false, has_event = false WHERE reject_reason IS NOT NULL"
    )
    con.execute(
        "UPDATE stage SET has_send = coalesce(has_send, false), "
        "has_event = coalesce(has_event, false)"
    )
    con.execute("DROP TABLE IF EXISTS src")
