"""Twilio Console message-log CSV (From, To, Body, Status, SentDate, ..., ErrorCode, Sid),
and the REST API's CSV of messages (Sid, DateCreated, DateSent, Status, Flags, ...).

One row per message with its current status: the send at `SentDate` and an event at the
same time (or `DateUpdated` when the export has it). The code is `ErrorCode` when there is
one, else the `Status` word (delivered, undelivered, sent, ...). WhatsApp rows (`To`
`whatsapp:+1...`) are channel whatsapp, rows with media mms. Inbound rows are set aside.
The Bulk Export reader shares this mapping.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native
from deliverability.readers.base import ReadOptions, Sniff

NAME = "twilio_console"
DESCRIPTION = (
    "Twilio Console message log CSV (From, To, Body, Status, SentDate, NumSegments, "
    "ErrorCode, Sid, Direction, ...)"
)

FIELDS = {
    "sid": ("Sid", "MessageSid"),
    "status": ("Status",),
    "error_code": ("ErrorCode",),
    "error_message": ("ErrorMessage",),
    "sent": ("SentDate", "DateSent"),
    "created": ("DateCreated", "CreatedDate"),
    "updated": ("DateUpdated", "UpdatedDate"),
    "sender": ("From",),
    "recipient": ("To",),
    "segments": ("NumSegments",),
    "media": ("NumMedia",),
    # The REST API's CSV says the direction in Flags ("[outbound]").
    "direction": ("Direction", "Flags"),
}


def detect(s: Sniff) -> bool:
    headers = native.csv_headers(s)
    return {"sid", "status"} <= headers and bool(
        {"sentdate", "errorcode", "datesent", "datecreated"} & headers
    )


def write_twilio_stage(con: duckdb.DuckDBPyConnection, opts: ReadOptions) -> None:
    """Stage TEMP TABLE src of Twilio message resources (console CSV or bulk export)."""
    error = "CASE WHEN trim(f_error_code) NOT IN ('', '0', '0.0') THEN trim(f_error_code) END"
    code = f"coalesce({error}, lower(f_status))"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": """coalesce(reason, CASE
                WHEN lower(f_direction) LIKE 'inbound%' OR lower(f_direction) = '[inbound]'
                    THEN 'skipped: inbound message, not a send'
                END)""",
            "has_send": "true",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "f_sid",
            "provider": "'twilio'",
            "channel": """CASE
                WHEN lower(f_recipient) LIKE 'whatsapp:%' THEN 'whatsapp'
                WHEN TRY_CAST(f_media AS DOUBLE) > 0 THEN 'mms'
                ELSE lower(coalesce($channel, 'sms')) END""",
            "sent_at": "coalesce(f_sent, f_created)",
            "sender": "regexp_replace(f_sender, '^[A-Za-z]+:', '')",
            "recipient": "regexp_replace(f_recipient, '^[A-Za-z]+:', '')",
            "segments": "f_segments",
            "event_at": "coalesce(f_updated, f_sent, f_created)",
            "status_code": code,
            "status_text": "coalesce(f_error_message, f_status)",
            "status_word": "f_status",
        },
        params={"channel": opts.channel},
    )


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native.csv_src(con, s, FIELDS)
    write_twilio_stage(con, opts)
