"""Twilio Bulk Export: gzip files of one JSON message resource per line.

Fields `sid`, `status`, `error_code`, `error_message`, `date_created`, `date_sent`,
`date_updated` (ISO-8601 or RFC 2822), `from`, `to`, `num_segments`, `num_media`,
`direction`. Mapped like the console CSV: a send at `date_sent` and the current status at
`date_updated`, the code being `error_code` when there is one, else the status word.
"""

from __future__ import annotations

import duckdb

from deliverability.readers import native, native_json
from deliverability.readers.base import ReadOptions, Sniff
from deliverability.readers.twilio_console import write_twilio_stage

NAME = "twilio_bulk_export"
DESCRIPTION = (
    "Twilio Bulk Export (gzip NDJSON message resources: sid, status, error_code, date_sent, ...)"
)

FIELDS = {
    "sid": ("sid",),
    "status": ("status",),
    "error_code": ("error_code",),
    "error_message": ("error_message",),
    "sent": ("date_sent",),
    "created": ("date_created",),
    "updated": ("date_updated",),
    "sender": ("from",),
    "recipient": ("to",),
    "segments": ("num_segments",),
    "media": ("num_media",),
    "direction": ("direction",),
}


def detect(s: Sniff) -> bool:
    keys = set(native.first_record(s))
    return {"sid", "status"} <= keys and bool({"date_sent", "date_created", "error_code"} & keys)


def stage(con: duckdb.DuckDBPyConnection, s: Sniff, opts: ReadOptions) -> None:
    native.install_macros(con)
    native_json.json_columns_src(con, s, FIELDS)
    write_twilio_stage(con, opts)
