"""Webex Connect `deliveryInfoNotification` webhook receipts (JSON, one per line or array).

`deliveryInfoNotification.transid` is the message; `deliveryInfo` gives the channel, the
event time `timeStamp` (no zone: read as UTC unless --timezone says otherwise), the code
and `deliveryStatus` (Submitted, Delivered, Un-Delivered, Failed), the `Description` and the
destination. Without a code, the status word lower-cased is the code. `deliveryInfo` may
also be a one-element list.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "webex_webhook"
DESCRIPTION = "Webex Connect deliveryInfoNotification webhook receipts (JSON)"

ROOT = "deliveryInfoNotification"


def _info(key: str) -> tuple[native.Path, ...]:
    return ((ROOT, "deliveryInfo", key), (ROOT, "deliveryInfo", 0, key))


FIELDS = {
    "notification": ((ROOT,),),
    "message_id": ((ROOT, "transid"), (ROOT, "tid")),
    "correlation_id": ((ROOT, "correlationid"),),
    "channel": _info("deliveryChannel"),
    "description": _info("Description"),
    "destination_type": _info("destinationType"),
    "time": _info("timeStamp"),
    "code": _info("code"),
    "status": _info("deliveryStatus"),
    "destination": _info("destination"),
}


def detect(s: Sniff) -> bool:
    return any(isinstance(obj.get(ROOT.lower()), dict) for obj in native.sample_records(s))


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.read_json_records(con, s)
    native_json.json_src(con, FIELDS)
    code = "coalesce(f_code, lower(f_status))"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": """coalesce(reason, CASE WHEN f_notification IS NULL
                THEN 'skipped: not a delivery notification (an inbound message or another event)'
                END)""",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "coalesce(f_message_id, f_correlation_id)",
            "provider": "'webex_connect'",
            "channel": "lower(coalesce(f_channel, $channel, 'sms'))",
            "recipient": "f_destination",
            "event_at": "f_time",
            "status_code": code,
            "status_text": "coalesce(f_description, f_status)",
            "status_word": "f_status",
        },
        params={"channel": opts.channel},
    )
