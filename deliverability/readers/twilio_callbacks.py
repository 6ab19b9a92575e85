"""Twilio status callbacks saved one per line, as posted (form-encoded `a=b&c=d`).

`MessageSid` is the message, `MessageStatus` the status word, `ErrorCode` the code when
there is one. A callback carries no time of its own except `RawDlrDoneDate` (YYMMDDhhmm,
no zone: read in --timezone, default UTC) on delivered/undelivered reports, so a line may
start with the time it was received, as a webhook logger writes it
(`2026-10-05T14:03:12Z MessageSid=...`); that time wins. A line with neither is dated by
when the file was received (ingest's rule, ingest_typed.sql).
Keys match ignoring case; values are URL-decoded ('+' is a space). Parsed in DuckDB: the
file is read as lines and split with string functions.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native
from deliverability.readers.base import ReadOptions, Sniff

NAME = "twilio_callbacks"
DESCRIPTION = (
    "Twilio status callbacks, one form-encoded body per line "
    "(MessageSid=...&MessageStatus=...&ErrorCode=...), optionally after the time received"
)

SOURCE = """(
    SELECT line, raw, part, reason,
        form_get(kv, 'messagesid') AS f_message_sid, form_get(kv, 'smssid') AS f_sms_sid,
        form_get(kv, 'messagestatus') AS f_message_status, form_get(kv, 'smsstatus') AS f_sms_status,
        form_get(kv, 'errorcode') AS f_error_code, form_get(kv, 'errormessage') AS f_error_message,
        form_get(kv, 'from') AS f_from, form_get(kv, 'to') AS f_to,
        form_get(kv, 'rawdlrdonedate') AS f_dlr_done, form_get(kv, 'timestamp') AS f_timestamp,
        form_get(kv, 'numsegments') AS f_segments, form_get(kv, 'nummedia') AS f_media,
        form_get(kv, 'channelprefix') AS f_channel_prefix,
        CASE WHEN parse_ts(prefix, 'UTC') IS NOT NULL THEN prefix END AS f_received,
        body
    FROM (
        SELECT *, string_split(body, '&') AS kv FROM (
            SELECT *, regexp_extract(rtrim(raw), '(\\S+)$', 1) AS body,
                nullif(trim(regexp_replace(rtrim(raw), '\\S+$', ''), ' \t[]'), '') AS prefix
            FROM (SELECT *, 0 AS part FROM lines)
        )
    )
)"""


def _looks_like_callback(line: str) -> bool:
    text = line.lower()
    return (
        "=" in text
        and ("messagesid=" in text or "smssid=" in text)
        and ("messagestatus=" in text or "smsstatus=" in text)
    )


def detect(s: Sniff) -> bool:
    if s.looks_json or s.looks_xml or s.is_parquet:
        return False
    lines = [line for line in s.text.lstrip("\ufeff").splitlines()[: native.SAMPLE_RECORDS]]
    return any(_looks_like_callback(line) for line in lines if line.strip())


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native.read_lines(con, s)
    error = "CASE WHEN f_error_code NOT IN ('0', '0.0') THEN f_error_code END"
    status = "lower(coalesce(f_message_status, f_sms_status))"
    code = f"coalesce({error}, {status})"
    dlr = """CASE WHEN regexp_full_match(f_dlr_done, '[0-9]{10}([0-9]{2})?') THEN
        '20' || f_dlr_done[1:2] || '-' || f_dlr_done[3:4] || '-' || f_dlr_done[5:6] || ' '
        || f_dlr_done[7:8] || ':' || f_dlr_done[9:10]
        || CASE WHEN length(f_dlr_done) = 12 THEN ':' || f_dlr_done[11:12] ELSE '' END
        ELSE f_dlr_done END"""
    when = f"coalesce(f_received, f_timestamp, {dlr})"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": f"""coalesce(reason, CASE
                WHEN position('=' IN coalesce(body, '')) = 0
                    THEN 'malformed line: not a form-encoded status callback'
                WHEN {status} IN ('received', 'receiving')
                    THEN 'skipped: inbound message, not a status callback'
                END)""",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "coalesce(f_message_sid, f_sms_sid)",
            "provider": "'twilio'",
            "channel": """CASE
                WHEN lower(f_to) LIKE 'whatsapp:%' OR lower(f_channel_prefix) = 'whatsapp'
                    THEN 'whatsapp'
                WHEN TRY_CAST(f_media AS DOUBLE) > 0 THEN 'mms'
                ELSE lower(coalesce($channel, 'sms')) END""",
            "sender": "regexp_replace(f_from, '^[A-Za-z]+:', '')",
            "recipient": "regexp_replace(f_to, '^[A-Za-z]+:', '')",
            "segments": "f_segments",
            "event_at": when,
            "status_code": code,
            "status_text": f"coalesce(f_error_message, {status})",
            "status_word": status,
        },
        source=SOURCE,
        params={"channel": opts.channel},
    )
