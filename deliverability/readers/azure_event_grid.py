"""Azure Communication Services `Microsoft.Communication.SMSDeliveryReportReceived` events.

Event Grid posts a JSON array of events; exported from a queue or log they are one per line
(a line may also hold an array). Both the Event Grid schema (`eventType`, `eventTime`) and
the CloudEvents schema (`type`, `time`) are read; keys match ignoring case.

The code travels in `data.deliveryStatusDetails`: `ErrorCode: 5002. ErrorMessage: ...` gives
5002 (the message text need not match the catalog's); a bare number is the code; `No error.`
(or nothing) with `deliveryStatus` Delivered is 2000; a text equal to a catalog message of
Azure's gives that code. Otherwise the status word (`delivered`, `failed`) is the code. The
`Tag` a sender sets is read as the campaign. Other event types are set aside with a reason.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "azure_event_grid"
DESCRIPTION = (
    "Azure Communication Services SMSDeliveryReportReceived events (Event Grid JSON array "
    "or one event per line)"
)
EVENT_TYPE = "microsoft.communication.smsdeliveryreportreceived"

FIELDS = {
    "event_type": (("eventType",), ("type",)),
    "event_time": (("eventTime",), ("time",)),
    "event_id": (("id",),),
    "message_id": (("data", "messageId"),),
    "sender": (("data", "from"),),
    "recipient": (("data", "to"),),
    "status": (("data", "deliveryStatus"),),
    "details": (("data", "deliveryStatusDetails"),),
    "received": (("data", "receivedTimestamp"),),
    "tag": (("data", "Tag"),),
    "attempts_json": (("data", "deliveryAttempts"),),
}

# Azure's catalog messages, for details that carry the message without its number.
CATALOG_TEXT = """
    SELECT lower(trim(name, ' .')) AS text_key, min(code) AS text_code FROM codes
    WHERE provider = 'azure_acs' AND variant = 0 AND name IS NOT NULL
    GROUP BY 1 HAVING count(DISTINCT code) = 1
"""


def detect(s: Sniff) -> bool:
    # A log of Communication Services events is this format even when the sample holds no
    # delivery report (inbound messages, or only the subscription's validation event so
    # far): its other events are set aside by stage.
    return any(
        _is_delivery_report(obj)
        or _event_type(obj).startswith(("microsoft.communication.", "microsoft.eventgrid."))
        for obj in native.sample_records(s)
    )


def _event_type(obj: dict) -> str:
    return str(obj.get("eventtype") or obj.get("type") or "").lower()


def _is_delivery_report(obj: dict) -> bool:
    if _event_type(obj) == EVENT_TYPE:
        return True
    data = obj.get("data")
    return isinstance(data, dict) and "deliverystatus" in data and "messageid" in data


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.read_json_records(con, s)
    native_json.json_src(con, FIELDS)
    error_code = r"regexp_extract(f_details, '(?i)error\s*code\s*[:=#]?\s*([0-9]+)', 1)"
    code = f"""CASE
        WHEN nullif({error_code}, '') IS NOT NULL THEN {error_code}
        WHEN regexp_full_match(trim(f_details), '[0-9]+') THEN trim(f_details)
        WHEN lower(f_status) = 'delivered' AND (f_details IS NULL
             OR lower(trim(f_details, ' .')) IN ('no error', 'none', 'success', ''))
            THEN '2000'
        WHEN text_code IS NOT NULL THEN text_code
        ELSE lower(f_status)
    END"""
    segments = """list_max(list_transform(
        CAST(json_extract(f_attempts_json, '$[*]') AS JSON[]),
        lambda a: coalesce(TRY_CAST(jtext(jci(a, 'segmentsSucceeded', 'segmentssucceeded')) AS INTEGER), 0)
                + coalesce(TRY_CAST(jtext(jci(a, 'segmentsFailed', 'segmentsfailed')) AS INTEGER), 0)))"""
    source = f"""(SELECT src.*, t.text_code FROM src
        LEFT JOIN ({CATALOG_TEXT}) t ON t.text_key = lower(trim(src.f_details, ' .')))"""  # noqa: S608
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": f"""coalesce(reason, CASE
                WHEN f_event_type IS NOT NULL AND lower(f_event_type) <> '{EVENT_TYPE}'
                    THEN 'skipped: ' || left(f_event_type, 80) || ' is not a delivery report'
                END)""",
            "has_event": f"({code}) IS NOT NULL",
            "message_id": "coalesce(f_message_id, f_event_id)",
            "provider": "'azure_acs'",
            "channel": "lower(coalesce($channel, 'sms'))",
            "sender": "f_sender",
            "recipient": "f_recipient",
            "campaign": "f_tag",
            "segments": f"nullif({segments}, 0)",
            "event_at": "coalesce(f_received, f_event_time)",
            "status_code": code,
            "status_text": "coalesce(f_details, f_status)",
            "status_word": "f_status",
        },
        source=source,
        params={"channel": opts.channel},
    )
