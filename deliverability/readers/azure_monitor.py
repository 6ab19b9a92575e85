"""Azure Monitor `ACSSMSIncomingOperations` rows (CSV or JSON exported from Log Analytics).

A send log: rows with `OperationName` SMSMessagesSent give the send of `MessageId` at
`TimeGenerated` from `PhoneNumber` (the number the message is sent from) to `Country`.
The table has no status code: the outcome comes from the SMSDeliveryReportReceived events,
joined by MessageId. Rows of other operations (delivery reports received, inbound
messages) are set aside with that reason. The portal's `TimeGenerated [UTC]` header and its
`10/5/2026, 2:03:11.123 PM` time format are read too.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "azure_monitor"
DESCRIPTION = (
    "Azure Monitor ACSSMSIncomingOperations rows (TimeGenerated, OperationName, MessageId, "
    "PhoneNumber, Country, ...) as CSV or JSON: a send log"
)

FIELDS = {
    "time": ("TimeGenerated",),
    "operation": ("OperationName",),
    "message_id": ("MessageId",),
    "phone": ("PhoneNumber",),
    "country": ("Country",),
    "number_type": ("NumberType",),
    "result": ("ResultType",),
}


def detect(s: Sniff) -> bool:
    if s.looks_json:
        keys = {native.norm_header(k) for k in native.first_record(s)}
    else:
        keys = native.csv_headers(s)
    return {"timegenerated", "operationname", "messageid"} <= keys


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    if s.looks_json:
        native_json.json_columns_src(con, s, FIELDS)
    else:
        native.csv_src(con, s, FIELDS)
    portal_time = """coalesce(
        strftime(try_strptime(f_time, '%m/%d/%Y, %I:%M:%S.%g %p'), '%Y-%m-%d %H:%M:%S.%g'),
        strftime(try_strptime(f_time, '%m/%d/%Y, %I:%M:%S %p'), '%Y-%m-%d %H:%M:%S'),
        f_time)"""
    sent = "lower(f_operation) = 'smsmessagessent'"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": f"""coalesce(reason, CASE
                WHEN f_operation IS NOT NULL AND NOT {sent}
                    THEN 'skipped: ' || left(f_operation, 60) || ' row is not a send (reports come '
                         || 'from the SMSDeliveryReportReceived events)'
                WHEN lower(f_result) IN ('failed', 'failure')
                    THEN 'skipped: the send request failed (ResultType ' || f_result || ')'
                END)""",
            "has_send": "true",
            "message_id": "f_message_id",
            "provider": "'azure_acs'",
            "channel": "lower(coalesce($channel, 'sms'))",
            "sent_at": portal_time,
            "sender": "f_phone",
            "country": "CASE WHEN regexp_full_match(trim(f_country), '[A-Za-z]{2}') THEN f_country END",
        },
        params={"channel": opts.channel},
    )
