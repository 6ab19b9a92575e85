"""Sinch SMS REST delivery reports (JSON: one per line, an array, or pretty-printed).

Recipient reports (`recipient_delivery_report_sms` / `_mms`) give one event: `code`
(an integer; older docs send a string) at `at`, with `status` as its text, the operator
(MCC+MNC) as the event's carrier and `applied_originator` as the sender. Batch reports
(`delivery_report_sms`) give one event per recipient listed under `statuses[]`.

Sinch has no message id per recipient: a message is `<batch_id>:<recipient digits>`, which a
send log must use too. Without a code, the status word (`Delivered`, `Expired`, ...)
lower-cased is the code. A batch report carries no time of its own: it is read from `at`,
`modified_at`, `created_at` or `timestamp` when the saved report has one, else its events
are dated by when the file was received (ingest's rule, ingest_typed.sql). A batch report
without recipients (a summary) is set aside with that reason, and so are inbound messages.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff

NAME = "sinch_sms"
DESCRIPTION = (
    "Sinch SMS REST delivery reports (JSON, type recipient_delivery_report_sms / _mms or "
    "batch delivery_report_sms with statuses[])"
)
TYPES = {
    "recipient_delivery_report_sms",
    "recipient_delivery_report_mms",
    "delivery_report_sms",
    "delivery_report_mms",
}

FIELDS = {
    "type": (("type",),),
    "batch_id": (("batch_id",),),
    "recipient": (("recipient",),),
    "code": (("code",),),
    "status": (("status",),),
    "at": (("at",),),
    "operator_status_at": (("operator_status_at",),),
    "batch_time": (("modified_at",), ("created_at",), ("timestamp",)),
    "originator": (("applied_originator",),),
    "parts": (("number_of_message_parts",),),
    "operator": (("operator",),),
    "statuses_json": (("statuses",),),
}

# Recipient reports pass through; batch reports become one row per (status, recipient).
EXPAND = """(
    SELECT * FROM src WHERE reason IS NOT NULL OR f_statuses_json IS NULL
    UNION ALL BY NAME
    SELECT * EXCLUDE (f_recipient, f_code, f_status, part, statuses, elem, si, recipients, rcpt, ri),
        part * 1000000 + si * 1000 + ri AS part,
        jtext(rcpt) AS f_recipient,
        jtext(jci(elem, 'code', 'code')) AS f_code,
        jtext(jci(elem, 'status', 'status')) AS f_status,
        CASE WHEN rcpt IS NULL THEN
            'skipped: batch report without recipients (status '
            || coalesce(jtext(jci(elem, 'status', 'status')), '?') || ', count '
            || coalesce(jtext(jci(elem, 'count', 'count')), '?') || ')'
        END AS batch_reason
    FROM (
        SELECT *,
            unnest(CASE WHEN len(recipients) = 0 THEN [NULL::JSON] ELSE recipients END) AS rcpt,
            generate_subscripts(
                CASE WHEN len(recipients) = 0 THEN [NULL::JSON] ELSE recipients END, 1) AS ri
        FROM (
            SELECT *, coalesce(CAST(json_extract(jci(elem, 'recipients', 'recipients'), '$[*]')
                AS JSON[]), []::JSON[]) AS recipients
            FROM (
                SELECT *,
                    unnest(CASE WHEN len(statuses) = 0 THEN [NULL::JSON] ELSE statuses END) AS elem,
                    generate_subscripts(
                        CASE WHEN len(statuses) = 0 THEN [NULL::JSON] ELSE statuses END, 1) AS si
                FROM (
                    SELECT *, coalesce(CAST(json_extract(f_statuses_json, '$[*]') AS JSON[]),
                        []::JSON[]) AS statuses
                    FROM src WHERE reason IS NULL AND f_statuses_json IS NOT NULL
                )
            )
        )
    )
)"""


def detect(s: Sniff) -> bool:
    return any(_is_delivery_report(obj) for obj in native.sample_records(s))


def _is_delivery_report(obj: dict) -> bool:
    kind = str(obj.get("type") or "").lower()
    # An inbound message (mo_text, mo_binary, mo_media) marks a Sinch callback log too: its
    # records are set aside by stage.
    if kind in TYPES or (kind.startswith("mo_") and "received_at" in obj):
        return True
    return "batch_id" in obj and ("recipient" in obj or "statuses" in obj)


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.read_json_records(con, s)
    native_json.json_src(con, FIELDS)
    code = "coalesce(f_code, lower(f_status))"
    batch = "f_statuses_json IS NOT NULL"
    when = f"CASE WHEN {batch} THEN coalesce(f_at, f_batch_time) ELSE coalesce(f_at, f_operator_status_at) END"
    native.write_stage(
        con,
        opts,
        {
            "reject_reason": f"""coalesce(reason, batch_reason, CASE
                WHEN lower(f_type) LIKE 'mo\\_%' ESCAPE '\\'
                    THEN 'skipped: inbound message (' || left(f_type, 40) || '), not a delivery report'
                WHEN NOT {batch} AND f_batch_id IS NULL AND f_recipient IS NULL
                    THEN 'skipped: not a delivery report (no batch_id and no recipient)'
                END)""",
            "has_event": f"{code} IS NOT NULL",
            "message_id": "f_batch_id || ':' || ltrim(trim(f_recipient), '+')",
            "provider": "'sinch'",
            "channel": """CASE WHEN lower(f_type) LIKE '%\\_mms' ESCAPE '\\' THEN 'mms'
                               ELSE lower(coalesce($channel, 'sms')) END""",
            "sender": "f_originator",
            "recipient": "f_recipient",
            "segments": "f_parts",
            "event_at": when,
            "status_code": code,
            "status_text": "f_status",
            "status_word": "f_status",
            "event_carrier": "f_operator",
        },
        source=EXPAND,
        params={"channel": opts.channel},
    )
