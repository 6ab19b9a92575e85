"""Chirp `messages.<channel>.<status>` webhooks (JSON, one event per line or an array).

`{event, timestamp, data: {message: {id, from, to, type}, app: {id}, error?}}`. The status is
Chirp's error code (`message_undeliverable`, ...) when the event carries an error, else the
event's last word (`sent`, `delivered`, `failed`). Chirp runs on Telnyx: the error's
`provider.source` and `provider.code` are kept as upstream_provider / upstream_code so the
catalog can also read the failure against Telnyx's codes. `messages.sms.sent` also gives the
send. Inbound messages (`.received`) are set aside: they are not delivery reports.

Chirp's earlier webhooks are flat: `{event: MESSAGE_CREATED | MESSAGE_SENT |
MESSAGE_DELIVERED, data: {id, from, to, type, direction, status, createdAt}}`. An outbound
MESSAGE_CREATED is the send; MESSAGE_SENT and MESSAGE_DELIVERED are the statuses `sent` and
`delivered` (MESSAGE_SENT is the send too); an INBOUND message is set aside.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "chirp_webhook"
DESCRIPTION = "Chirp webhooks (JSON events messages.sms.sent / .delivered / .failed)"

LEGACY_EVENTS = ("MESSAGE_CREATED", "MESSAGE_SENT", "MESSAGE_DELIVERED")

FIELDS = {
    "event": (("event",), ("type",)),
    "timestamp": (
        ("timestamp",),
        ("created_at",),
        ("data", "updatedAt"),
        ("data", "createdAt"),
    ),
    "message_id": (("data", "message", "id"), ("data", "id")),
    "sender": (("data", "message", "from"), ("data", "from")),
    "recipient": (
        ("data", "message", "to", 0),
        ("data", "message", "to"),
        ("data", "to", 0),
        ("data", "to"),
    ),
    "type": (("data", "message", "type"), ("data", "type")),
    "direction": (("data", "direction"),),
    "app": (("data", "app", "id"),),
    "error_code": (("data", "error", "code"),),
    "error_message": (("data", "error", "message"),),
    "upstream_source": (("data", "error", "provider", "source"),),
    "upstream_code": (("data", "error", "provider", "code"),),
}


def detect(s: Sniff) -> bool:
    return any(_is_message_event(obj) for obj in native.sample_records(s))


def _is_message_event(obj: dict) -> bool:
    event = str(obj.get("event") or obj.get("type") or "")
    if event.upper() in LEGACY_EVENTS:
        data = obj.get("data")
        return isinstance(data, dict) and "id" in data and "direction" in data
    return event.startswith("messages.") and isinstance(native.dig(obj, "data", "message"), dict)


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.read_json_records(con, s)
    native_json.json_src(con, FIELDS)
    legacy = "upper(f_event) IN ('MESSAGE_CREATED', 'MESSAGE_SENT', 'MESSAGE_DELIVERED')"
    inbound = f"({legacy} AND upper(f_direction) = 'INBOUND')"
    # The legacy event's own word (sent, delivered); MESSAGE_CREATED is a send, no status.
    word = f"""CASE WHEN {legacy}
        THEN nullif(lower(replace(upper(f_event), 'MESSAGE_', '')), 'created')
        ELSE lower(nullif(split_part(f_event, '.', 3), '')) END"""
    code = f"coalesce(f_error_code, {word})"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": f"""coalesce(reason, CASE
                WHEN {word} = 'received' OR {inbound}
                    THEN 'skipped: inbound message, not a delivery report'
                WHEN f_event IS NOT NULL AND lower(f_event) NOT LIKE 'messages.%'
                     AND NOT {legacy}
                    THEN 'skipped: ' || left(f_event, 60) || ' is not a message event'
                END)""",
            "has_send": f"{word} = 'sent' OR upper(f_event) = 'MESSAGE_CREATED'",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "f_message_id",
            "provider": "'chirp'",
            "channel": (
                "lower(coalesce(CASE WHEN NOT "
                + legacy
                + " THEN nullif(split_part(f_event, '.', 2), '') END, f_type, $channel, 'sms'))"
            ),
            "sent_at": "f_timestamp",
            "sender": "f_sender",
            "recipient": "f_recipient",
            "event_at": "f_timestamp",
            "status_code": code,
            "status_text": f"coalesce(f_error_message, {word})",
            "status_word": word,
            "upstream_provider": "lower(f_upstream_source)",
            "upstream_code": "f_upstream_code",
        },
        params={"channel": opts.channel},
    )
