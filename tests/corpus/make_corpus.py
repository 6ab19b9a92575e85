"""Write the broken-file corpus in this folder (deterministic; the files are committed).

python tests/corpus/make_corpus.py
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVENTS_HEADER = "message_id,provider,channel,event_at,status_code,status_text,carrier\n"


def event_rows(n: int, start: int = 0) -> str:
    return "".join(
        f"m{i},azure_acs,sms,2024-03-04T10:{i % 60:02d}:00Z,2000,Delivered,Contoso Mobile\n"
        for i in range(start, start + n)
    )


def main() -> None:
    full = gzip.compress((EVENTS_HEADER + event_rows(3000)).encode(), mtime=0)
    files: dict[str, bytes] = {
        "truncated.csv.gz": full[: len(full) // 2],
        "latin1.csv": (
            EVENTS_HEADER
            + "m1,azure_acs,sms,2024-03-04T10:00:00Z,2000,Délivré,Société Générale Télécom\n"
        ).encode("latin-1"),
        "utf16.csv": (
            EVENTS_HEADER
            + "m1,azure_acs,sms,2024-03-04T10:00:00Z,2000,Zugestellt,Telefónica\nm2,azure_acs,sms,2024-03-04T10:01:00Z,4000,Betrug,Telefónica\n"
        ).encode("utf-16"),
        "bom_crlf.csv": ("\ufeff" + EVENTS_HEADER + event_rows(3)).replace("\n", "\r\n").encode(),
        "ragged.csv": (
            EVENTS_HEADER
            + "m1,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered,X\n"
            + "m2,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered,X,surplus,cells\n"
            + "m3,azure_acs,sms,2024-03-04T10:00:00Z\n"
            + "m4,azure_acs,sms,2024-03-04T10:00:00Z,2000,Delivered,X\n"
        ).encode(),
        "embedded_newlines.csv": (
            EVENTS_HEADER
            + 'm1,azure_acs,sms,2024-03-04T10:00:00Z,2000,"first line\nsecond line, with a comma",X\n'
            + 'm2,azure_acs,sms,2024-03-04T10:00:00Z,4000,"a ""quoted"" word; and | pipes",X\n'
        ).encode(),
        "empty.csv": b"",
        "header_only.csv": EVENTS_HEADER.encode(),
        "garbage.bin": bytes(random.Random(7).randrange(256) for _ in range(4096)),
        "bomb.csv.gz": gzip.compress(EVENTS_HEADER.encode() + b"0" * (64 * 1024 * 1024), mtime=0),
        "wrong_types.ndjson": "\n".join(
            json.dumps(r)
            for r in [
                {
                    "message_id": 1,
                    "provider": "azure_acs",
                    "channel": "sms",
                    "event_at": "2024-03-04T10:00:00Z",
                    "status_code": 2000,
                    "carrier": None,
                },
                {
                    "message_id": "m2",
                    "provider": "azure_acs",
                    "channel": "sms",
                    "event_at": 1709546400,
                    "status_code": "4000",
                    "carrier": ["a", "b"],
                },
                {
                    "message_id": "m3",
                    "provider": "azure_acs",
                    "channel": "sms",
                    "event_at": True,
                    "status_code": 2000,
                },
                {
                    "message_id": "m4",
                    "provider": "azure_acs",
                    "channel": "sms",
                    "event_at": {"when": "now"},
                    "status_code": {"x": 1},
                },
                {
                    "message_id": None,
                    "provider": "azure_acs",
                    "event_at": "2024-03-04T10:00:00Z",
                    "status_code": 2000,
                },
            ]
        ).encode(),
        "timestamp_formats.csv": (
            EVENTS_HEADER
            + "iso_z,azure_acs,sms,2024-03-04T10:00:00Z,2000,,X\n"
            + "iso_offset,azure_acs,sms,2024-03-04T04:00:00-06:00,2000,,X\n"
            + "naive,azure_acs,sms,2024-03-04 10:00:00,2000,,X\n"
            + 'rfc2822,azure_acs,sms,"Mon, 04 Mar 2024 10:00:00 +0000",2000,,X\n'
            + "epoch_s,azure_acs,sms,1709546400,2000,,X\n"
            + "epoch_ms,azure_acs,sms,1709546400000,2000,,X\n"
            + "us,azure_acs,sms,03/04/2024 10:00:00,2000,,X\n"
            + "us_ampm,azure_acs,sms,03/04/2024 10:00 AM,2000,,X\n"
            + "epoch_zero,azure_acs,sms,1970-01-01T00:00:00Z,2000,,X\n"
            + "far_future,azure_acs,sms,9999-12-31T23:59:59Z,2000,,X\n"
            + "nonsense,azure_acs,sms,yesterday-ish,2000,,X\n"
        ).encode(),
        "long_field.csv": (
            EVENTS_HEADER + "m1,azure_acs,sms,2024-03-04T10:00:00Z,2000," + "x" * 100_000 + ",X\n"
        ).encode(),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
