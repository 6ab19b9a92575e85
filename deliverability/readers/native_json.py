"""Native readers' JSON records: splitting a JSON file into records and finding fields in them.

Step 1 of a native reader (deliverability/readers/native.py) for JSON: NDJSON, a JSON
array or concatenated objects become TEMP TABLE `records`, then TEMP TABLE `src` with one
`f_<field>` text column per field, found by key, case-insensitively, at any depth.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb

from deliverability.readers import native
from deliverability.readers.base import Sniff, UnreadableFile


def json_mode(s: Sniff) -> str:
    """'lines' for NDJSON: the first line is a whole JSON value, or (when it is broken) other
    lines that start a record at the margin are; else 'array' or 'objects'."""
    text = s.text.lstrip("\ufeff \t\r\n")
    lines = text.split("\n", 21)
    try:
        json.loads(lines[0].strip())
        return "lines"
    except ValueError:
        pass
    if not text.startswith("[") and sum(_whole_object(line) for line in lines[1:21]) >= 2:
        return "lines"
    return "array" if text.startswith("[") else "objects"


def _whole_object(line: str) -> bool:
    # A record starting at the margin: pretty-printed JSON indents what it nests.
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


# The list of an API list page (native.PAGE_KEYS: Twilio messages, Sinch delivery_reports).
_PAGE = " ".join(f"json_extract(raw, '$.{key}')," for key in native.PAGE_KEYS)
PAGE_ARRAY = f"coalesce({_PAGE} NULL)"


def read_json_records(con: duckdb.DuckDBPyConnection, s: Sniff) -> None:
    _split_json_records(con, s)
    if native.page_start(s) is not None:
        _unpack_pages(con)


def _unpack_pages(con: duckdb.DuckDBPyConnection) -> None:
    """A record that is an API list page gives one record per element of its list."""
    page = f"CASE WHEN reason IS NULL AND json_type(raw) = 'OBJECT' THEN {PAGE_ARRAY} END"
    pages = con.execute(
        f"SELECT count(*) FROM records WHERE json_type({page}) = 'ARRAY'"  # noqa: S608
    ).fetchone()[0]
    if not pages:
        return
    _explode(con, page, "list")


def _explode(con: duckdb.DuckDBPyConnection, array: str, kind: str) -> None:
    """Each record for which ARRAY (one of our fixed SQL expressions over the record) is a
    JSON array becomes one record per element, on its line, numbered by `part`."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE records AS
        SELECT * FROM (
            SELECT line, raw, reason, part FROM records
            WHERE coalesce(json_type({array}), '') <> 'ARRAY'
            UNION ALL
            SELECT line, CAST(elem AS VARCHAR) AS raw,
                CASE WHEN json_type(elem) <> 'OBJECT'
                     THEN 'malformed record: {kind} element is not a JSON object' END,
                part
            FROM (
                SELECT line, unnest(CAST(json_extract({array}, '$[*]') AS JSON[])) AS elem,
                       generate_subscripts(CAST(json_extract({array}, '$[*]') AS JSON[]), 1) AS part
                FROM records
                WHERE json_type({array}) = 'ARRAY'
            )
        ) ORDER BY line, part
        """  # noqa: S608 - fixed expressions and words, no file text
    )


def _split_json_records(con: duckdb.DuckDBPyConnection, s: Sniff) -> None:
    """TEMP TABLE records(line, raw, reason, part): one JSON object per row, in file order.

    NDJSON is read line by line so a malformed line is one rejected record with its line
    number; a line holding an array of objects gives one record per element (`part`). A JSON
    array file or concatenated pretty-printed objects are split by DuckDB's JSON reader.
    """
    mode = json_mode(s)
    if mode == "lines":
        native.read_lines(con, s)
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
            _explode(con, "CASE WHEN reason IS NULL THEN raw END", "array")
        return
    fmt = "array" if mode == "array" else "unstructured"
    trailing: tuple[int, str] | None = None
    if mode == "array" and not _ends_like_array(s):
        # A failed read would abort the ingest's transaction, so this is decided first.
        trailing = _array_then_text(con, s)
    else:
        try:
            _read_json_objects(con, native.relation_params(s), fmt)
        except duckdb.Error as exc:
            raise UnreadableFile(
                f"{s.path}: cannot parse JSON: {str(exc).splitlines()[0]}"
            ) from exc
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
    if trailing:
        # The text after a whole array: one rejected record, after the array's records.
        line, text = trailing
        con.execute(
            "INSERT INTO records VALUES "
            "((SELECT coalesce(max(line), 0) + 1 FROM records), $raw, $reason, 0)",
            {
                "raw": text[: native.MAX_LINE],
                "reason": f"malformed record: text after the JSON array (line {line} of the file)",
            },
        )


def _read_json_objects(con: duckdb.DuckDBPyConnection, params: dict, fmt: str) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE records_body AS
        SELECT CAST(json AS VARCHAR) AS raw
        FROM read_json_objects($path, format=$format, compression=$compression,
                               maximum_object_size=$max_line)
        """,
        {**params, "format": fmt, "max_line": native.MAX_LINE},
    )


def _ends_like_array(s: Sniff) -> bool:
    """Whether DuckDB can read the file as one JSON array. A plain file is judged by its last
    non-blank byte (']'); a compressed one is read once on a connection of its own (a failed
    read on the ingest's connection would abort its transaction)."""
    if s.compressed:
        return _reads_as_array(native.relation_params(s))
    with open(s.path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - 4096))
        tail = fh.read().rstrip(b" \t\r\n")
    return not tail or tail.endswith(b"]")


def _reads_as_array(params: dict) -> bool:
    probe = duckdb.connect()
    try:
        probe.execute(
            "SELECT count(*) FROM read_json_objects($path, format='array', "
            "compression=$compression, maximum_object_size=$max_line)",
            {**params, "max_line": native.MAX_LINE},
        )
        return True
    except duckdb.Error:
        return False
    finally:
        probe.close()


# How many closing brackets, from the end, may end the array before the file is refused.
_ARRAY_END_TRIES = 8


def _array_then_text(con: duckdb.DuckDBPyConnection, s: Sniff) -> tuple[int, str]:
    """A JSON array followed by other text: the array is read by DuckDB from a copy holding
    just it (its end found by trying the last closing brackets), and the text after it
    returned with the line it starts on. Anything else is refused."""
    opener = gzip.open if s.compressed else open
    with opener(s.path, "rb") as fh:
        data = fh.read()
    start = len(data) - len(data.lstrip(b"\xef\xbb\xbf \t\r\n"))
    end = len(data)
    with tempfile.TemporaryDirectory() as tmp:
        array = Path(tmp) / "array.json"
        for _ in range(_ARRAY_END_TRIES):
            end = data.rfind(b"]", start, end)
            if end < 0:
                break
            array.write_bytes(data[start : end + 1])
            params = {"path": str(array), "compression": "none"}
            if _reads_as_array(params):
                _read_json_objects(con, params, "array")
                rest = data[end + 1 :]
                skipped = len(rest) - len(rest.lstrip())
                line = data.count(b"\n", 0, end + 1 + skipped) + 1
                return line, rest.strip().decode("utf-8", errors="replace")
    raise UnreadableFile(f"{s.path}: cannot parse JSON: the array breaks before it ends")


def _json_path(path: native.Path, lower: bool = False) -> str:
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


def json_src(con: duckdb.DuckDBPyConnection, fields: dict[str, Iterable[native.Path]]) -> None:
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

    def pick(
        values: str, paths: list[native.Path], alternatives: list[native.Path], as_text: bool
    ) -> str:
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


def _json_src_case_blind(
    con: duckdb.DuckDBPyConnection, fields: dict[str, Iterable[native.Path]]
) -> None:
    """Re-read the fields of records with keys in another case, key by key ignoring case."""
    aliases: dict[native.Path, str] = {(): "j"}
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
        by_norm.setdefault(native.norm_header(key), []).append(key)
    picked = {}
    for name, candidates in fields.items():
        found = [k for c in candidates for k in by_norm.get(native.norm_header(c), [])]
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
