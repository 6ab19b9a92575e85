"""Webex Connect Export Logs (the CSV per channel inside the export zip).

Columns: Transaction ID, Correlation ID, Template ID, CRN Number, Source, Channel, Asset,
Event Description, Current Status, Time, Timezone, MSISDN, Message. One row per event of a
message (Transaction ID). The export carries no numeric code: an `Event Description` that
is a number, or that equals exactly one of Webex's catalog messages for the channel
(`Message expired` -> 7208), gives that code; otherwise `Current Status` lower-cased
(`delivered`, `un-delivered`, ...) is the code.

`Time` is read in the row's `Timezone`: a zone name (`Asia/Kolkata`, `UTC`) or an offset
(`GMT+05:30`, `+0530`, `(UTC+05:30) Chennai`); without one, in --timezone. A Timezone that is
neither is a rejected row, never a silently shifted time.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native
from deliverability.readers.base import ReadOptions, Sniff

NAME = "webex_export"
DESCRIPTION = (
    "Webex Connect Export Logs CSV (Transaction ID, Channel, Event Description, Current Status, "
    "Time, Timezone, MSISDN, ...)"
)

FIELDS = {
    "message_id": ("Transaction ID", "TransactionID", "tid"),
    "correlation_id": ("Correlation ID",),
    "template": ("Template ID",),
    "source": ("Source",),
    "channel": ("Channel",),
    "asset": ("Asset",),
    "description": ("Event Description",),
    "status": ("Current Status", "Status"),
    "time": ("Time", "Timestamp"),
    "timezone": ("Timezone", "Time Zone"),
    "msisdn": ("MSISDN", "Destination"),
}

OFFSET = r"^\(?\s*(?:UTC|GMT)?\s*([+-])\s*([0-9]{1,2})(?::?([0-9]{2}))?\s*\)?"

SOURCE = f"""(
    SELECT src.*, z.name AS zone_name, t1.text_code AS channel_code, t2.text_code AS common_code,
        CASE WHEN regexp_matches(trim(f_timezone), '{OFFSET}')
             THEN regexp_extract(trim(f_timezone), '{OFFSET}', 1)
                  || lpad(regexp_extract(trim(f_timezone), '{OFFSET}', 2), 2, '0') || ':'
                  || coalesce(nullif(regexp_extract(trim(f_timezone), '{OFFSET}', 3), ''), '00')
        END AS zone_offset
    FROM src
    LEFT JOIN (SELECT name FROM pg_timezone_names()) z ON lower(z.name) = lower(trim(src.f_timezone))
    LEFT JOIN (
        SELECT channel, lower(trim(name, ' .')) AS text_key, min(code) AS text_code FROM codes
        WHERE provider = 'webex_connect' AND variant = 0 AND name IS NOT NULL
        GROUP BY 1, 2 HAVING count(DISTINCT code) = 1
    ) t1 ON t1.channel = lower(src.f_channel) AND t1.text_key = lower(trim(src.f_description, ' .'))
    LEFT JOIN (
        SELECT lower(trim(name, ' .')) AS text_key, min(code) AS text_code FROM codes
        WHERE provider = 'webex_connect' AND variant = 0 AND channel = '*' AND name IS NOT NULL
        GROUP BY 1 HAVING count(DISTINCT code) = 1
    ) t2 ON t2.text_key = lower(trim(src.f_description, ' .'))
)"""  # noqa: S608 - a fixed pattern of ours is the only formatted text


def detect(s: Sniff) -> bool:
    headers = native.csv_headers(s)
    return "transactionid" in headers and (
        "currentstatus" in headers or "eventdescription" in headers
    )


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native.csv_src(con, s, FIELDS)
    code = """CASE
        WHEN regexp_full_match(trim(f_description), '[0-9]+') THEN trim(f_description)
        WHEN channel_code IS NOT NULL THEN channel_code
        WHEN common_code IS NOT NULL THEN common_code
        ELSE lower(coalesce(f_status, f_description))
    END"""
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": """coalesce(reason, CASE
                WHEN nullif(trim(f_timezone), '') IS NOT NULL AND zone_name IS NULL
                     AND zone_offset IS NULL
                    THEN 'unknown time zone ' || left(f_timezone, 60)
                END)""",
            "has_event": f"({code}) IS NOT NULL",
            "message_id": "coalesce(f_message_id, f_correlation_id)",
            "provider": "'webex_connect'",
            "channel": "lower(coalesce(f_channel, $channel, 'sms'))",
            "sender": "f_source",
            "recipient": "f_msisdn",
            "event_at": """CASE WHEN zone_offset IS NOT NULL AND NOT has_offset(trim(f_time))
                                THEN trim(f_time) || zone_offset ELSE f_time END""",
            "tz": "CASE WHEN zone_offset IS NULL THEN zone_name END",
            "status_code": code,
            "status_text": "coalesce(f_description, f_status)",
            "status_word": "f_status",
        },
        source=SOURCE,
        params={"channel": opts.channel},
    )
