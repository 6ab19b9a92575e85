"""Telnyx message webhooks (`message.sent`, `message.finalized`), one JSON event per line or
a JSON array of events.

The message is `data.payload.id`; the event time `data.occurred_at`. The status is the
recipient's `to[].status` (queued, sent, delivered, delivery_failed, ...) unless the event
carries an error, whose `errors[].code` (40008, ...) is then the code. `message.sent` events
also give the send (`payload.sent_at`). Inbound messages (`message.received`) are not
delivery reports and are set aside with that reason. Events saved without the outer `data`
wrapper are read too.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "telnyx_webhook"
DESCRIPTION = (
    "Telnyx message webhooks (JSON events with data.event_type message.sent / "
    "message.finalized and data.payload)"
)


def _alts(*path: str | int) -> tuple[native.Path, ...]:
    """The documented path, and the same inside the payload without the `data` wrapper; a
    payload path also as the message resource (GET /v2/messages/{id}) has it, in `data`
    itself (tried last: a webhook's own `data.id` is the event's)."""
    resource = (("data", *path[1:]),) if path[:1] == ("payload",) else ()
    return (("data", *path), path, *resource)


FIELDS = {
    "event_type": _alts("event_type"),
    "occurred_at": _alts("occurred_at"),
    "message_id": _alts("payload", "id"),
    "direction": _alts("payload", "direction"),
    "type": _alts("payload", "type"),
    "sender": (*_alts("payload", "from", "phone_number"), *_alts("payload", "from")),
    "recipient": (
        *_alts("payload", "to", 0, "phone_number"),
        *_alts("payload", "to", 0),
        *_alts("payload", "to"),
    ),
    "to_status": _alts("payload", "to", 0, "status"),
    "carrier": _alts("payload", "to", 0, "carrier"),
    "error_code": _alts("payload", "errors", 0, "code"),
    "error_title": (
        *_alts("payload", "errors", 0, "title"),
        *_alts("payload", "errors", 0, "detail"),
    ),
    "parts": _alts("payload", "parts"),
    "tag": _alts("payload", "tags", 0),
    "sent_at": _alts("payload", "sent_at"),
    "completed_at": _alts("payload", "completed_at"),
    "record_type": _alts("record_type"),
    "status_updated_at": _alts("payload", "to", 0, "updated_at"),
}


def detect(s: Sniff) -> bool:
    return any(_is_message_event(obj) for obj in native.sample_records(s))


def _is_message_event(obj: dict) -> bool:
    data = obj.get("data") if isinstance(obj.get("data"), dict) else obj
    event_type = str(data.get("event_type") or "")
    payload = data.get("payload")
    if data.get("record_type") == "message" and isinstance(data.get("to"), list):
        return True  # the message resource of GET /v2/messages/{id}, as Telnyx documents it
    return (
        event_type.startswith("message.")
        and isinstance(payload, dict)
        and ("to" in payload or "record_type" in payload)
    )


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.read_json_records(con, s)
    native_json.json_src(con, FIELDS)
    event_code = "coalesce(f_error_code, lower(f_to_status))"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": """coalesce(reason, CASE
                WHEN lower(f_direction) = 'inbound' OR lower(f_event_type) = 'message.received'
                    THEN 'skipped: inbound message, not a delivery report'
                WHEN f_event_type IS NOT NULL AND lower(f_event_type) NOT LIKE 'message.%'
                    THEN 'skipped: ' || left(f_event_type, 60) || ' is not a message event'
                END)""",
            "has_send": "f_sent_at IS NOT NULL",
            "has_event": f"{event_code} IS NOT NULL",
            "message_id": "f_message_id",
            "provider": "'telnyx'",
            "channel": "lower(coalesce(f_type, $channel, 'sms'))",
            "sent_at": "f_sent_at",
            "sender": "f_sender",
            "recipient": "f_recipient",
            "carrier": "f_carrier",
            "campaign": "f_tag",
            "segments": "f_parts",
            "event_at": "coalesce(f_occurred_at, f_completed_at, f_status_updated_at, f_sent_at)",
            "status_code": event_code,
            "status_text": "coalesce(f_error_title, f_to_status)",
            "status_word": "f_to_status",
            "event_carrier": "f_carrier",
        },
        params={"channel": opts.channel},
    )
