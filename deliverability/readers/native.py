"""What the providers' native readers share: reading records, finding fields, staging rows.

A native reader works in two steps, both in DuckDB:

1. Its records go into TEMP TABLE `src` (`line`, `raw`, `reason`, one `f_<field>` text column
   per field it wants). JSON (NDJSON, a JSON array, or concatenated objects) is split into
   records and its fields found by key, case-insensitively, at any depth; CSV columns are
   found by header name (case, spaces and punctuation ignored). A record that cannot be taken
   apart keeps its line with `reason` set.
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

from deliverability.readers.base import STAGE_COLUMNS, ReadOptions, Sniff, UnreadableFile
from deliverability.readers.canonical import csv_encoding

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
MAX_RAW = 4000  # characters of a rejected record kept in quarantine

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


def first_record(s: Sniff) -> dict:
    """The first JSON object of the file, keys lower-cased ({} when there is none)."""
    if not s.looks_json:
        return {}
    obj = s.first_json()
    if obj is None:
        # An NDJSON line holding an array of events (Event Grid posts arrays).
        text = s.text.lstrip("\ufeff \t\r\n")
        first_line = text.split("\n", 1)[0]
        try:
            value = json.loads(first_line)
        except ValueError:
            return {}
        while isinstance(value, list) and value:
            value = value[0]
        obj = value if isinstance(value, dict) else None
    return lower_keys(obj) if isinstance(obj, dict) else {}


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


def first_line(s: Sniff) -> str:
    for line in s.text.lstrip("\ufeff").splitlines():
        if line.strip():
            return line.strip()
    return ""


# --------------------------------------------------------------------------------------
# Reading records


def _relation_params(s: Sniff) -> dict:
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
                **_relation_params(s),
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
    """Lines DuckDB's CSV reader rejected go into `table` with their real line numbers.

    Parsed rows were numbered by position; each moves down by the rejected lines before it.
    `table` is one of our own fixed names.
    """
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'csv_rejects' AND temporary"
    ).fetchone()[0]
    if not exists or not con.execute("SELECT count(*) FROM csv_rejects").fetchone()[0]:
        return
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE reject_offsets AS
        SELECT parsed_before, max(rejects_so_far) AS rejects_so_far
        FROM (
            SELECT line - $header - row_number() OVER (ORDER BY line) AS parsed_before,
                   row_number() OVER (ORDER BY line) AS rejects_so_far
            FROM (SELECT DISTINCT line FROM csv_rejects)
        )
        GROUP BY parsed_before
        """,
        {"header": header_lines},
    )
    # Only fixed table names of this module are formatted in.
    con.execute(
        f"""
        UPDATE {table} SET line = {table}.line + o.rejects_so_far
        FROM (
            SELECT s.line AS old_line, r.rejects_so_far
            FROM {table} s ASOF JOIN reject_offsets r ON s.line - $header > r.parsed_before
        ) o
        WHERE {table}.line = o.old_line
        """,  # noqa: S608
        {"header": header_lines},
    )
    con.execute(
        f"""
        INSERT INTO {table} (line, raw, reason)
        SELECT line, left(csv_line, {MAX_RAW}), 'malformed line: ' || error_message
        FROM (SELECT DISTINCT ON (line) line, csv_line, error_message FROM csv_rejects ORDER BY line)
        """  # noqa: S608
    )


def json_mode(s: Sniff) -> str:
    """'lines' when the first line is a whole JSON value (NDJSON), else 'array' or 'objects'."""
    text = s.text.lstrip("\ufeff \t\r\n")
    line = text.split("\n", 1)[0].strip()
    try:
        json.loads(line)
        return "lines"
    except ValueError:
        pass
    return "array" if text.startswith("[") else "objects"


def read_json_records(con: duckdb.DuckDBPyConnection, s: Sniff) -> None:
    """TEMP TABLE records(line, raw, reason, part): one JSON object per row, in file order.

    NDJSON is read line by line so a malformed line is one rejected record with its line
    number; a line holding an array of objects gives one record per element (`part`). A JSON
    array file or concatenated pretty-printed objects are split by DuckDB's JSON reader.
    """
    mode = json_mode(s)
    if mode == "lines":
        read_lines(con, s)
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE records AS
            SELECT line, raw, CASE
                    WHEN reason IS NOT NULL THEN reason
                    WHEN NOT json_valid(raw) THEN 'malformed line: not valid JSON'
                    WHEN json_type(raw) NOT IN ('OBJECT', 'ARRAY')
                        THEN 'malformed line: not a JSON object'
                END AS reason,
                0 AS part
            FROM (SELECT line, CASE WHEN line = 1 THEN ltrim(raw, chr(65279)) ELSE raw END AS raw,
                         reason FROM lines)
            """
        )
        con.execute("DROP TABLE lines")
        arrays = con.execute(
            "SELECT count(*) FROM records "
            "WHERE CASE WHEN reason IS NULL THEN json_type(raw) END = 'ARRAY'"
        ).fetchone()[0]
        if arrays:
            # A line holding an array: one record per element, on that line.
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE records AS
                SELECT * FROM (
                    SELECT * FROM records
                    WHERE coalesce(CASE WHEN reason IS NULL THEN json_type(raw) END, '') <> 'ARRAY'
                    UNION ALL
                    SELECT line, CAST(elem AS VARCHAR) AS raw,
                        CASE WHEN json_type(elem) <> 'OBJECT'
                             THEN 'malformed record: array element is not a JSON object' END,
                        part
                    FROM (
                        SELECT line, unnest(CAST(json_extract(raw, '$[*]') AS JSON[])) AS elem,
                               generate_subscripts(CAST(json_extract(raw, '$[*]') AS JSON[]), 1)
                                   AS part
                        FROM records
                        WHERE CASE WHEN reason IS NULL THEN json_type(raw) END = 'ARRAY'
                    )
                ) ORDER BY line, part
                """
            )
        return
    fmt = "array" if mode == "array" else "unstructured"
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE records_body AS
            SELECT CAST(json AS VARCHAR) AS raw
            FROM read_json_objects($path, format=$format, compression=$compression,
                                   maximum_object_size=$max_line)
            """,
            {**_relation_params(s), "format": fmt, "max_line": MAX_LINE},
        )
    except duckdb.Error as exc:
        raise UnreadableFile(f"{s.path}: cannot parse JSON: {str(exc).splitlines()[0]}") from exc
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE records AS
        SELECT rowid - (SELECT min(rowid) FROM records_body) + 1 AS line, raw,
            CASE WHEN json_type(raw) <> 'OBJECT'
                 THEN 'malformed record: not a JSON object' END AS reason,
            0 AS part
        FROM records_body
        """
    )
    con.execute("DROP TABLE records_body")


def _json_path(path: Path, lower: bool = False) -> str:
    out = "$"
    for seg in path:
        if isinstance(seg, int):
            out += f"[{int(seg)}]"
        else:
            if not re.fullmatch(r"[A-Za-z0-9_ .-]+", seg):
                raise ValueError(f"unsupported key in a reader's path: {seg!r}")
            out += '."' + (seg.lower() if lower else seg) + '"'
    return out


def _sql_list(items: list[str]) -> str:
    # Our own paths only (checked in _json_path): no quote can occur in them.
    return "[" + ", ".join(f"'{item}'" for item in items) + "]"


def json_src(con: duckdb.DuckDBPyConnection, fields: dict[str, Iterable[Path]]) -> None:
    """TEMP TABLE src(line, raw, reason, part, f_<field>...) from TEMP TABLE records.

    Each field is the first of its alternative paths that is present. A field whose name
    ends in `_json` keeps its JSON value (for arrays a reader unnests); others become text.

    Keys match ignoring case. The documented spelling is read in one pass over each record
    (all paths at once); a record where the lower-cased text finds a field the documented
    spelling misses has a key in another case, and only such records are read again with
    the case-blind lookup, key by key.
    """
    text_fields = {n: [tuple(p) for p in a] for n, a in fields.items() if not n.endswith("_json")}
    json_fields = {n: [tuple(p) for p in a] for n, a in fields.items() if n.endswith("_json")}
    text_paths = list(dict.fromkeys(p for alts in text_fields.values() for p in alts))
    json_paths = list(dict.fromkeys(p for alts in json_fields.values() for p in alts))
    all_paths = text_paths + [p for p in json_paths if p not in text_paths]
    exact = _sql_list([_json_path(p) for p in all_paths])
    lowered = _sql_list([_json_path(p, lower=True) for p in all_paths])

    def pick(values: str, paths: list[Path], alternatives: list[Path], as_text: bool) -> str:
        items = [f"{values}[{paths.index(p) + 1}]" for p in alternatives]
        if as_text:
            items = [f"nullif(trim({item}), '')" for item in items]
        return f"coalesce({', '.join(items)})" if len(items) > 1 else items[0]

    outputs = [
        f"{pick('fx', text_paths, alts, True)} AS f_{name}" for name, alts in text_fields.items()
    ] + [f"{pick('jx', json_paths, alts, False)} AS f_{name}" for name, alts in json_fields.items()]
    json_extract = f"json_extract(raw, {_sql_list([_json_path(p) for p in json_paths])})"
    con.execute(
        # Only our own fixed paths and field names are formatted in.
        f"""
        CREATE OR REPLACE TEMP TABLE src AS
        SELECT line, raw, reason, part,
            list_transform(fx_all, lambda v: v IS NULL)
                <> list_transform(lx_all, lambda v: v IS NULL) AS other_case,
            {", ".join(outputs)}
        FROM (
            SELECT *, fx_all[1:{len(text_paths)}] AS fx
                {f", CASE WHEN reason IS NULL THEN {json_extract} END AS jx" if json_paths else ""}
            FROM (
                SELECT line, raw, reason, part,
                    CASE WHEN reason IS NULL THEN json_extract_string(raw, {exact}) END AS fx_all,
                    CASE WHEN reason IS NULL
                         THEN json_extract_string(lower(raw), {lowered}) END AS lx_all
                FROM records
            )
        )
        """  # noqa: S608
    )
    con.execute("DROP TABLE records")
    if con.execute("SELECT count(*) FROM src WHERE other_case").fetchone()[0]:
        _json_src_case_blind(con, fields)


def _json_src_case_blind(con: duckdb.DuckDBPyConnection, fields: dict[str, Iterable[Path]]) -> None:
    """Re-read the fields of records with keys in another case, key by key ignoring case."""
    aliases: dict[Path, str] = {(): "j"}
    layers: dict[int, list[str]] = {}
    for alternatives in fields.values():
        for path in alternatives:
            for depth in range(1, len(path) + 1):
                prefix = tuple(path[:depth])
                if prefix in aliases:
                    continue
                alias = f"n{len(aliases)}"
                parent = aliases[prefix[:-1]]
                seg = prefix[-1]
                if isinstance(seg, int):
                    expr = f"json_extract({parent}, '$[{int(seg)}]')"
                else:
                    _json_path((seg,))  # validates the key
                    expr = f"jci({parent}, '{seg}', '{seg.lower()}')"
                aliases[prefix] = alias
                layers.setdefault(depth, []).append(f"{expr} AS {alias}")
    sql = "SELECT line, part, CAST(raw AS JSON) AS j FROM src WHERE other_case"
    for depth in sorted(layers):
        sql = f"SELECT *, {', '.join(layers[depth])} FROM ({sql})"  # noqa: S608
    outputs = []
    for name, alternatives in fields.items():
        names = [aliases[tuple(p)] for p in alternatives]
        if not name.endswith("_json"):
            names = [f"jtext({n})" for n in names]
        expr = f"coalesce({', '.join(names)})" if len(names) > 1 else names[0]
        outputs.append(f"{expr} AS f_{name}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE src_case_blind AS SELECT line, part, "  # noqa: S608
        + ", ".join(outputs)
        + f" FROM ({sql})"
    )
    assignments = ", ".join(f"f_{name} = b.f_{name}" for name in fields)
    con.execute(
        f"UPDATE src SET {assignments} FROM src_case_blind b "  # noqa: S608
        "WHERE src.line = b.line AND src.part = b.part"
    )
    con.execute("DROP TABLE src_case_blind")


def json_columns_src(
    con: duckdb.DuckDBPyConnection, s: Sniff, fields: dict[str, Iterable[str]]
) -> None:
    """Flat JSON records (one level of keys) -> src, with CSV-style loose key matching."""
    read_json_records(con, s)
    keys = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT unnest(CASE WHEN reason IS NULL THEN json_keys(raw) END) FROM records"
        ).fetchall()
    ]
    by_norm: dict[str, list[str]] = {}
    for key in keys:
        by_norm.setdefault(norm_header(key), []).append(key)
    picked = {}
    for name, candidates in fields.items():
        found = [k for c in candidates for k in by_norm.get(norm_header(c), [])]
        picked[name] = found
    # Keys found in the file are bound as JSON paths (a parameter), never formatted into SQL.
    paths: list[str] = []
    outputs = []
    for name, found in picked.items():
        if not found:
            outputs.append(f"CAST(NULL AS VARCHAR) AS f_{name}")
            continue
        parts = []
        for key in found:
            paths.append('$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"')
            parts.append(f"nullif(trim(vals[{len(paths)}]), '')")
        outputs.append(f"coalesce({', '.join(parts)}) AS f_{name}")
    values = (
        "CASE WHEN reason IS NULL THEN json_extract_string(raw, CAST($paths AS VARCHAR[])) END"
        if paths
        else "CAST(NULL AS VARCHAR[])"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE src AS SELECT line, raw, reason, part, "  # noqa: S608
        + ", ".join(outputs)
        + f" FROM (SELECT *, {values} AS vals FROM records)",  # noqa: S608
        {"paths": paths} if paths else {},
    )
    con.execute("DROP TABLE records")


def csv_src(
    con: duckdb.DuckDBPyConnection, s: Sniff, fields: dict[str, Iterable[str]]
) -> dict[str, bool]:
    """TEMP TABLE src(line, raw, reason, f_<field>...) from a CSV with a header.

    Each field is the first column whose header matches one of its names (case, spaces and
    punctuation ignored). Returns which fields the file has.
    """
    relation = (
        "read_csv($path, all_varchar=true, header=true, compression=$compression, "
        "encoding=$encoding, store_rejects=true, rejects_table='csv_rejects', "
        "rejects_scan='csv_scans', max_line_size=$max_line)"
    )
    params = {**_relation_params(s), "encoding": csv_encoding(s), "max_line": 2097152}
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_scans")
    try:
        # relation is the fixed template above; the path and options are bound.
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
