"""The canonical send/delivery log: CSV (any delimiter, gzip too), NDJSON/JSON array, Parquet.

Columns are matched case-insensitively by name and then addressed by position
(`AS t(c0, c1, ...)`), so no text from the file is ever put into SQL.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native_json
from deliverability.readers.base import (
    EVENT_COLUMNS,
    SEND_COLUMNS,
    ReadOptions,
    Sniff,
    UnreadableFile,
    csv_source,
    lower_map,
)

NAME = "canonical"
DESCRIPTION = (
    "canonical send log (message_id, provider, sent_at, ...) or delivery log "
    "(message_id, provider, event_at, status_code, ...) as CSV, JSON or Parquet"
)
KNOWN = tuple(dict.fromkeys((*SEND_COLUMNS, *EVENT_COLUMNS)))
# Optional extras a delivery log may carry about the message itself.
EXTRAS = ("upstream_provider", "upstream_code", "status_word")


def detect(s: Sniff) -> bool:
    if s.is_parquet:
        return True
    if s.looks_json:
        obj = s.first_json() or {}
        keys = {k.lower() for k in obj}
    else:
        keys = {h.lower() for h in s.csv_header()}
    return "message_id" in keys and ("sent_at" in keys or "status_code" in keys)


def source_relation(s: Sniff) -> tuple[str, list]:
    """The table function that reads a CSV or Parquet file, with its bound parameters."""
    if s.is_parquet:
        return "read_parquet(?)", [str(s.path)]
    return csv_source(s, "stage_rejects", "stage_scans")


def column_types(
    con: duckdb.DuckDBPyConnection, relation: str, params: list
) -> list[tuple[str, str]]:
    try:
        # relation is one of source_relation()'s fixed templates; the path is bound.
        rows = con.execute(f"DESCRIBE SELECT * FROM {relation}", params).fetchall()  # noqa: S608
    except duckdb.Error as exc:
        raise UnreadableFile(f"{params[0]}: cannot parse: {str(exc).splitlines()[0]}") from exc
    return [(r[0], r[1]) for r in rows]


def plan_columns(names: list[str], opts: ReadOptions, path: str) -> dict[str, int]:
    """canonical column -> position in the file, from the header and --map."""
    by_name = lower_map(names)
    picked = {c: by_name[c] for c in (*KNOWN, *EXTRAS) if c in by_name}
    for canonical, source in opts.mapping.items():
        if canonical not in (*KNOWN, *EXTRAS):
            raise UnreadableFile(
                f"{path}: --map names unknown column {canonical!r} "
                f"(canonical columns: {', '.join(KNOWN)})"
            )
        if source.lower() not in by_name:
            raise UnreadableFile(
                f"{path}: --map {canonical}={source}: no column {source!r} in the file "
                f"(it has: {', '.join(names)})"
            )
        picked[canonical] = by_name[source.lower()]
    return picked


def _kinds(
    s: Sniff, opts: ReadOptions, names: list[str], cols: dict[str, int]
) -> tuple[bool, bool]:
    """(wants_send, wants_event) for a file with columns NAMES; refused when it lacks any
    column the kind needs."""
    has = set(cols)
    wants_send = opts.kind == "sends" or (opts.kind == "auto" and "sent_at" in has)
    wants_event = opts.kind == "events" or (opts.kind == "auto" and "status_code" in has)
    missing = [c for c in ("message_id",) if c not in has]
    if "provider" not in has and not opts.provider:
        missing.append("provider (or --provider)")
    if wants_send and "sent_at" not in has:
        missing.append("sent_at")
    if wants_event and "status_code" not in has:
        missing.append("status_code")
    if wants_event and not wants_send and "event_at" not in has:
        missing.append("event_at")
    if not (wants_send or wants_event):
        missing.append("sent_at (send log) or status_code (delivery log)")
    if missing:
        raise UnreadableFile(
            f"{s.path}: missing required column(s): {', '.join(missing)}; "
            f"the file has: {', '.join(names[:30])}"
        )
    return wants_send, wants_event


# Values that are not one text, number or time: a list or a record in a message id or a
# code would load as its printed form. Each is rejected with our word for its kind.
_NESTED_KINDS = (
    ("STRUCT", "a record"),
    ("MAP", "a map"),
    ("UNION", "a union"),
    ("BOOLEAN", "true/false"),
    ("BLOB", "binary data"),
)


def _nested_kind(duckdb_type: str) -> str | None:
    if duckdb_type.endswith("]"):  # VARCHAR[], INTEGER[3]
        return "a list"
    return next((word for prefix, word in _NESTED_KINDS if duckdb_type.startswith(prefix)), None)


def _select(wants_send: bool, wants_event: bool, col, event_at: str) -> dict[str, str]:
    """The stage's columns, each from COL(canonical name) (an expression or a NULL)."""
    return {
        "has_send": "true" if wants_send else "false",
        "has_event": f"({col('status_code')} IS NOT NULL)" if wants_event else "false",
        "message_id": col("message_id"),
        "provider": f"coalesce({col('provider')}, $provider)",
        "channel": f"coalesce({col('channel')}, $channel)",
        "sent_at": col("sent_at"),
        "sender": col("sender"),
        "recipient": col("recipient"),
        "country": col("country"),
        "carrier": col("carrier"),
        "campaign": col("campaign"),
        "segments": col("segments"),
        "event_at": event_at,
        "status_code": col("status_code"),
        "status_text": col("status_text"),
        "event_carrier": col("carrier"),
        "upstream_provider": col("upstream_provider"),
        "upstream_code": col("upstream_code"),
        "tz": "CAST(NULL AS VARCHAR)",
        "status_word": col("status_word"),
    }


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    if s.looks_json:
        _stage_json(con, s, opts)
        return
    relation, params = source_relation(s)
    con.execute("DROP TABLE IF EXISTS stage_rejects; DROP TABLE IF EXISTS stage_scans")
    types = column_types(con, relation, params)
    names = [name for name, _ in types]
    cols = plan_columns(names, opts, str(s.path))
    has = set(cols)
    wants_send, wants_event = _kinds(s, opts, names, cols)
    aliases = [f"c{i}" for i in range(len(names))]

    def col(name: str) -> str:
        if name not in cols or _nested_kind(types[cols[name]][1]):
            return "CAST(NULL AS VARCHAR)"
        return f"CAST(c{cols[name]} AS VARCHAR)"

    nested = [
        f"WHEN c{cols[name]} IS NOT NULL THEN '{name} is {_nested_kind(types[cols[name]][1])}, not a value'"
        for name in cols
        if _nested_kind(types[cols[name]][1])
    ]
    event_at = col("event_at") if "event_at" in has else col("sent_at")
    select = {
        # NULL: a rejected row is numbered from its position (readers/csv_rejects.py).
        "line": "CAST(NULL AS BIGINT)",
        "raw": "CAST(NULL AS VARCHAR)",
        # Our own column names and words only (from KNOWN and _NESTED_KINDS).
        "reject_reason": f"CASE {' '.join(nested)} END" if nested else "CAST(NULL AS VARCHAR)",
        **_select(wants_send, wants_event, col, event_at),
    }
    body = ",\n  ".join(f"{expr} AS {name}" for name, expr in select.items())
    # stage is a view: ingest_typed.sql reads the file once, straight into its typed rows.
    # A view cannot hold bound parameters, so the file's path and the options are session
    # variables (stage_arg_0, ..., stage_provider, stage_channel): still data, never SQL text.
    for i, value in enumerate(params):
        con.execute(f"SET VARIABLE stage_arg_{i} = ?", [value])
    con.execute("SET VARIABLE stage_provider = ?", [opts.provider])
    con.execute("SET VARIABLE stage_channel = ?", [opts.channel])
    from_vars = relation
    for i in range(len(params)):
        from_vars = from_vars.replace("?", f"getvariable('stage_arg_{i}')", 1)
    body = body.replace("$provider", "getvariable('stage_provider')").replace(
        "$channel", "getvariable('stage_channel')"
    )
    # Only our own aliases (c0, c1, ...) and fixed expressions are in this text.
    sql = (
        "CREATE OR REPLACE TEMP VIEW stage AS SELECT\n  "  # noqa: S608
        + body
        + f"\nFROM {from_vars} AS t({', '.join(aliases)})"
    )
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise UnreadableFile(f"{s.path}: cannot parse: {str(exc).splitlines()[0]}") from exc
    header_lines = 0 if (s.is_parquet or s.looks_json) else 1
    # The rows are in file order: a rejected one is numbered from the first data line
    # (readers/csv_rejects.py, number_rejected_rows).
    con.execute(f"SET VARIABLE stage_first_line = {int(header_lines) + 1}")


def _stage_json(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    """NDJSON or a JSON array, record by record: a malformed line or record is rejected alone
    with its line number (native_json's splitting), the rest load."""
    native_json.read_json_records(con, s)
    keys = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT unnest(CASE WHEN reason IS NULL AND json_type(raw) = 'OBJECT' "
            "THEN json_keys(raw) END) FROM records"
        ).fetchall()
    ]
    keys.sort()
    cols = plan_columns(keys, opts, str(s.path))
    wants_send, wants_event = _kinds(s, opts, keys, cols)
    picked = list(cols)
    # The file's keys are bound as JSON paths (a parameter), never formatted into SQL.
    paths = ['$."' + keys[cols[c]].replace("\\", "\\\\").replace('"', '\\"') + '"' for c in picked]

    def col(name: str) -> str:
        if name not in cols:
            return "CAST(NULL AS VARCHAR)"
        v = f"vals[{picked.index(name) + 1}]"
        return (
            f"CASE WHEN json_type({v}) NOT IN ('ARRAY', 'OBJECT', 'BOOLEAN') THEN {v} ->> '$' END"
        )

    nested = " ".join(
        f"WHEN json_type(vals[{i + 1}]) IN ('ARRAY', 'OBJECT', 'BOOLEAN') THEN "
        f"'{name} is ' || CASE json_type(vals[{i + 1}]) WHEN 'ARRAY' THEN 'a list' "
        f"WHEN 'OBJECT' THEN 'a record' ELSE 'true/false' END || ', not a value'"
        for i, name in enumerate(picked)
    )
    event_at = col("event_at") if "event_at" in cols else col("sent_at")
    select = {
        "line": "line",
        "raw": "raw",
        "reject_reason": f"coalesce(reason, CASE {nested} END)" if nested else "reason",
        **_select(wants_send, wants_event, col, event_at),
    }
    body = ",\n  ".join(f"{expr} AS {name}" for name, expr in select.items())
    con.execute(
        # Only our own column names, positions and fixed expressions are in this text.
        "CREATE OR REPLACE TEMP TABLE stage AS SELECT\n  "  # noqa: S608
        + body
        + " FROM (SELECT *, CASE WHEN reason IS NULL AND json_type(raw) = 'OBJECT' "
        "THEN json_extract(raw, CAST($paths AS VARCHAR[])) END AS vals FROM records) "
        "ORDER BY line, part",
        {"paths": paths, "provider": opts.provider, "channel": opts.channel},
    )
    con.execute("DROP TABLE records")
