"""The canonical send/delivery log: CSV (any delimiter, gzip too), NDJSON/JSON array, Parquet.

Columns are matched case-insensitively by name and then addressed by position
(`AS t(c0, c1, ...)`), so no text from the file is ever put into SQL.
"""

from __future__ import annotations

import duckdb

from deliverability.readers.base import (
    EVENT_COLUMNS,
    SEND_COLUMNS,
    ReadOptions,
    Sniff,
    UnreadableFile,
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


def csv_encoding(s: Sniff) -> str:
    if s.head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        s.head[: len(s.head) - 4].decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def source_relation(s: Sniff) -> tuple[str, list]:
    """The table function that reads the file, with its bound parameters."""
    path = str(s.path)
    if s.is_parquet:
        return "read_parquet(?)", [path]
    if s.looks_json:
        return (
            "read_json(?, format='auto', compression=?, maximum_object_size=104857600, "
            "sample_size=-1)",
            [path, "gzip" if s.compressed else "none"],
        )
    return (
        "read_csv(?, all_varchar=true, header=true, compression=?, encoding=?, "
        "store_rejects=true, rejects_table='stage_rejects', rejects_scan='stage_scans', "
        "max_line_size=2097152)",
        [path, "gzip" if s.compressed else "none", csv_encoding(s)],
    )


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


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    relation, params = source_relation(s)
    con.execute("DROP TABLE IF EXISTS stage_rejects; DROP TABLE IF EXISTS stage_scans")
    types = column_types(con, relation, params)
    names = [name for name, _ in types]
    cols = plan_columns(names, opts, str(s.path))
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
    aliases = [f"c{i}" for i in range(len(names))]

    def col(name: str) -> str:
        if name not in cols:
            return "CAST(NULL AS VARCHAR)"
        if types[cols[name]][1] == "JSON":
            # Mixed-type JSON values: strings without their quotes, the rest as JSON text.
            return f"(c{cols[name]} ->> '$')"
        return f"CAST(c{cols[name]} AS VARCHAR)"

    event_at = col("event_at") if "event_at" in has else col("sent_at")
    select = {
        # NULL: a rejected row is numbered from its position (readers/csv_rejects.py).
        "line": "CAST(NULL AS BIGINT)",
        "raw": "CAST(NULL AS VARCHAR)",
        "reject_reason": "CAST(NULL AS VARCHAR)",
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
