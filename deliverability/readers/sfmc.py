"""Salesforce Marketing Cloud MobileConnect `_SMSMessageTracking` exports (CSV).

One row per tracking record: the send (`CreateDateTime`, else `ActionDateTime`) and its
current status `SMSStandardStatusCodeId` at `ActionDateTime`. Times are US Central Standard
Time without daylight saving (UTC-6 all year) unless `--timezone` names another zone.

A long message is tracked as one row per part (`Ordinal` 0, 1, ...); the parts are one
message, identified by the `MobileMessageTrackingID` of its part 0 (the nearest Ordinal-0 row
with the same MessageID, Mobile and CreateDateTime). Parts with the same status at the same
time are duplicates of one event. Without a code, the `Delivered` / `Undelivered` flags give
the status word. Inbound rows (replies, keywords) are set aside with that reason.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native
from deliverability.readers.base import ReadOptions, Sniff

NAME = "sfmc_tracking"
DESCRIPTION = (
    "Salesforce Marketing Cloud _SMSMessageTracking export (CSV with MobileMessageTrackingID, "
    "Mobile, SMSStandardStatusCodeId, ActionDateTime, Ordinal, ...)"
)
SFMC_ZONE = "Etc/GMT+6"  # POSIX sign: six hours behind UTC, no daylight saving

FIELDS = {
    "tracking_id": ("MobileMessageTrackingID",),
    "mobile": ("Mobile",),
    "message_def": ("MessageID",),
    "name": ("Name",),
    "campaign_id": ("CampaignID",),
    "short_code": ("ShortCode",),
    "from_name": ("FromName",),
    "delivered": ("Delivered",),
    "undelivered": ("Undelivered",),
    "outbound": ("Outbound",),
    "inbound": ("Inbound",),
    "created": ("CreateDateTime",),
    "modified": ("ModifiedDateTime",),
    "action": ("ActionDateTime",),
    "code": ("SMSStandardStatusCodeId", "StatusCode"),
    "description": ("Description",),
    "ordinal": ("Ordinal",),
    "send_job": ("SendJobID", "JobID"),
}


def detect(s: Sniff) -> bool:
    headers = native.csv_headers(s)
    return "mobilemessagetrackingid" in headers or {"smsstandardstatuscodeid", "mobile"} <= headers


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native.csv_src(con, s, FIELDS)
    group = "f_message_def, f_mobile, coalesce(f_created, ''), coalesce(f_send_job, '')"
    source = f"""(
        SELECT *, max(ord) OVER (PARTITION BY msg_id) + 1 AS parts FROM (
            SELECT *, coalesce(
                last_value(CASE WHEN ord = 0 THEN f_tracking_id END IGNORE NULLS) OVER (
                    PARTITION BY {group} ORDER BY line
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                first_value(CASE WHEN ord = 0 THEN f_tracking_id END IGNORE NULLS) OVER (
                    PARTITION BY {group} ORDER BY line
                    ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
                f_tracking_id) AS msg_id
            FROM (SELECT *, coalesce(TRY_CAST(trim(f_ordinal) AS INTEGER), 0) AS ord FROM src)
        )
    )"""  # noqa: S608 - our fixed column names only
    code = """coalesce(f_code, CASE WHEN flag(f_delivered) THEN 'delivered'
                                   WHEN flag(f_undelivered) THEN 'undelivered' END)"""
    zone = None if opts.timezone not in (None, "", "UTC") else SFMC_ZONE
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": """coalesce(reason, CASE
                WHEN flag(f_inbound) OR flag(f_outbound) = false
                    THEN 'skipped: inbound message, not a send'
                END)""",
            "has_send": "true",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "CASE WHEN reason IS NULL THEN msg_id END",
            "provider": "'sfmc'",
            "channel": "lower(coalesce($channel, 'sms'))",
            "sent_at": "coalesce(f_created, f_action, f_modified)",
            "sender": "coalesce(f_short_code, f_from_name)",
            "recipient": "f_mobile",
            "campaign": "coalesce(f_name, f_campaign_id)",
            "segments": "CASE WHEN reason IS NULL THEN parts END",
            "event_at": "coalesce(f_action, f_modified, f_created)",
            "status_code": code,
            "status_text": "f_description",
            "tz": "CAST($zone AS VARCHAR)",
        },
        source=source,
        params={"channel": opts.channel, "zone": zone},
    )
