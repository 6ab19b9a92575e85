"""Telnyx message detail records (MDR): the CSV export, or the same records as JSON.

One row per message with its current state: the send (`sent_at`, else `created_at`) and an
event at `completed_at` (else `sent_at`). The code is `delivered` when the status says so,
else the first of `errors` (a list of code strings, written `40008`, `["40008"]` or
`40008,40009`), else the `status` word (failed, gw_reject, gw_timeout, dlr_unconfirmed,
dlr_timeout; upper case in the /reports/mdrs records). `cli` is the sender, `cld`
the recipient, the first tag the campaign. Inbound records are set aside with that reason.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "telnyx_mdr"
DESCRIPTION = (
    "Telnyx message detail records (CSV or JSON with uuid, cli, cld, status, errors, "
    "carrier, created_at, sent_at, completed_at, ...)"
)

FIELDS = {
    "message_id": ("uuid", "id", "message_id"),
    "cli": ("cli", "from"),
    "cld": ("cld", "to"),
    "status": ("status",),
    "errors": ("errors", "error_code", "errors_codes"),
    "carrier": ("carrier",),
    "country": ("country_code",),
    "parts": ("parts",),
    "created_at": ("created_at",),
    "sent_at": ("sent_at",),
    "completed_at": ("completed_at", "finalized_at"),
    "direction": ("direction",),
    "message_type": ("message_type", "type"),
    "tags": ("tags",),
}


def detect(s: Sniff) -> bool:
    if s.looks_json:
        keys = {native.norm_header(k) for k in native.first_record(s)}
    else:
        keys = native.csv_headers(s)
    return {"cli", "cld"} <= keys and ("status" in keys or "uuid" in keys)


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    if s.looks_json:
        native_json.json_columns_src(con, s, FIELDS)
    else:
        native.csv_src(con, s, FIELDS)
    # A record whose status says delivered is delivered, whatever errors it lists (earlier
    # attempts); otherwise its first error code is what went wrong.
    code = """CASE WHEN lower(f_status) = 'delivered' THEN 'delivered'
        ELSE coalesce(nullif(regexp_extract(f_errors, '([0-9]{3,6})', 1), ''), lower(f_status))
        END"""
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": """coalesce(reason, CASE
                WHEN lower(f_direction) IN ('inbound', 'incoming') OR lower(f_status) = 'received'
                    THEN 'skipped: inbound message, not a send'
                END)""",
            "has_send": "true",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "f_message_id",
            "provider": "'telnyx'",
            "channel": "lower(coalesce(f_message_type, $channel, 'sms'))",
            "sent_at": "coalesce(f_sent_at, f_created_at)",
            "sender": "f_cli",
            "recipient": "f_cld",
            "country": "CASE WHEN regexp_full_match(trim(f_country), '[A-Za-z]{2}') THEN f_country END",
            "carrier": "f_carrier",
            "campaign": (
                "nullif(trim(split_part(regexp_replace(f_tags, '[\\[\\]\"'']', '', 'g'), ',', 1)), '')"
            ),
            "segments": "f_parts",
            "event_at": "coalesce(f_completed_at, f_sent_at, f_created_at)",
            "status_code": code,
            "status_text": "f_status",
            "status_word": "f_status",
            "event_carrier": "f_carrier",
        },
        params={"channel": opts.channel},
    )
