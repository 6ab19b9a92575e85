"""Chirp `messages.<channel>.<status>` webhooks (JSON, one event per line or an array).

`{event, timestamp, data: {message: {id, from, to, type}, app: {id}, error?}}`. The status is
Chirp's error code (`message_undeliverable`, ...) when the event carries an error, else the
event's last word (`sent`, `delivered`, `failed`). Chirp runs on Telnyx: the error's
`provider.source` and `provider.code` are kept as upstream_provider / upstream_code so the
catalog can also read the failure against Telnyx's codes. `messages.sms.sent` also gives the
send. Inbound messages (`.received`) are set aside: they are not delivery reports.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "chirp_webhook"
DESCRIPTION = "Chirp webhooks (JSON events messages.sms.sent / .delivered / .failed)"

FIELDS = {
    "event": (("event",), ("type",)),
    "timestamp": (("timestamp",), ("created_at",)),
    "message_id": (("data", "message", "id"),),
    "sender": (("data", "message", "from"),),
    "recipient": (("data", "message", "to", 0), ("data", "message", "to")),
    "type": (("data", "message", "type"),),
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
    return event.startswith("messages.") and isinstance(native.dig(obj, "data", "message"), dict)


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.read_json_records(con, s)
    native_json.json_src(con, FIELDS)
    word = "lower(nullif(split_part(f_event, '.', 3), ''))"
    code = f"coalesce(f_error_code, {word})"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": f"""coalesce(reason, CASE
                WHEN {word} = 'received'
                    THEN 'skipped: inbound message, not a delivery report'
                WHEN f_event IS NOT NULL AND lower(f_event) NOT LIKE 'messages.%'
                    THEN 'skipped: ' || left(f_event, 60) || ' is not a message event'
                END)""",
            "has_send": f"{word} = 'sent'",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "f_message_id",
            "provider": "'chirp'",
            "channel": (
                "lower(coalesce(nullif(split_part(f_event, '.', 2), ''), f_type, $channel, 'sms'))"
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
