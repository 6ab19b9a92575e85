"""Edge cases for the Spark parity tests, as canonical send and delivery logs: tied event
times, NULL channels, late interim events, messages on both sides of a week boundary,
uncatalogued codes with several texts, upstream codes, receipts without sends, duplicates,
rejected rows, carrier spellings, latencies under a second, and a planted spike with enough
history to be tested."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

SEND_COLUMNS = [
    "message_id", "provider", "channel", "sent_at", "sender", "recipient", "country",
    "carrier", "campaign", "segments",
]  # fmt: skip
EVENT_COLUMNS = [
    "message_id", "provider", "channel", "event_at", "status_code", "status_text", "carrier",
    "upstream_provider", "upstream_code", "status_word", "country", "recipient",
]  # fmt: skip
START = datetime(2026, 10, 1)
DAYS = 30
CARRIERS = ["Verizon", "T-MOBILE USA, INC.", "T-Mobile", "AT&T Mobility"]


def _ts(value: datetime) -> str:
    return value.isoformat(sep=" ", timespec="milliseconds")


def _volume(rng: random.Random, sends: list, events: list) -> None:
    """Twilio SMS, 60 a day for 30 days; 30007 rises on the last day through Verizon."""
    for day in range(DAYS):
        for i in range(60):
            sent = START + timedelta(days=day, seconds=rng.randrange(86_400))
            mid = f"SM{day:02d}{i:03d}"
            carrier = CARRIERS[i % len(CARRIERS)]
            campaign = ["welcome", "otp", None][i % 3]
            number = f"+1415555{day:02d}{i:02d}"
            sends.append([mid, "twilio", "sms", _ts(sent), "+14155550000", number, "US",
                          carrier, campaign, 1])  # fmt: skip
            spike = day == DAYS - 1 and carrier == "Verizon" and i % 8 < 5
            failed = spike or rng.random() < 0.02
            code = "30007" if failed else "delivered"
            events.append([mid, "twilio", "sms", _ts(sent + timedelta(seconds=2)), "sent",
                           "", carrier, "", "", "", "", ""])  # fmt: skip
            events.append([mid, "twilio", "sms", _ts(sent + timedelta(seconds=9 + i)), code,
                           "Carrier violation" if failed else "", carrier, "", "", "", "", ""])  # fmt: skip


def _edges(sends: list, events: list) -> None:
    t = datetime(2026, 10, 20, 12, 0, 0)
    # Tied times: delivered and failed at the same instant; sent and delivered alike.
    sends.append(
        ["tie1", "twilio", "sms", _ts(t), "12345", "+14155551001", "US", "Verizon", "otp", 1]
    )
    events.append(
        [
            "tie1",
            "twilio",
            "sms",
            _ts(t + timedelta(seconds=5)),
            "delivered",
            "",
            "Verizon",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    events.append(
        [
            "tie1",
            "twilio",
            "sms",
            _ts(t + timedelta(seconds=5)),
            "failed",
            "",
            "Verizon",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    sends.append(
        ["tie2", "twilio", "sms", _ts(t), "12345", "+14155551002", "US", "Verizon", "otp", 1]
    )
    events.append(
        [
            "tie2",
            "twilio",
            "sms",
            _ts(t + timedelta(seconds=5)),
            "sent",
            "",
            "Verizon",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    events.append(
        [
            "tie2",
            "twilio",
            "sms",
            _ts(t + timedelta(seconds=5)),
            "delivered",
            "",
            "Verizon",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    # A late interim event never undoes a delivered message.
    sends.append(
        ["late1", "twilio", "sms", _ts(t), "12345", "+14155551003", "US", "T-Mobile", "otp", 1]
    )
    events.append(
        [
            "late1",
            "twilio",
            "sms",
            _ts(t + timedelta(seconds=3)),
            "delivered",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    events.append(
        ["late1", "twilio", "sms", _ts(t + timedelta(hours=2)), "sent", "", "", "", "", "", "", ""]
    )
    # Both sides of a week boundary (Sunday 25 October 23:59:59.999 and Monday 00:00).
    for mid, at in (
        ("wk1", datetime(2026, 10, 25, 23, 59, 59, 999000)),
        ("wk2", datetime(2026, 10, 26)),
    ):
        sends.append(
            [
                mid,
                "telnyx",
                "sms",
                _ts(at),
                "+14155550001",
                "+14155551004",
                "US",
                "Verizon",
                "promo",
                2,
            ]
        )
        events.append(
            [
                mid,
                "telnyx",
                "sms",
                _ts(at + timedelta(seconds=1)),
                "delivered",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    # NULL channels: a send log and reports that do not say.
    for n in range(3):
        mid = f"nochan{n}"
        sends.append(
            [
                mid,
                "telnyx",
                "",
                _ts(t + timedelta(minutes=n)),
                "+14155550001",
                f"+4477009001{n:02d}",
                "",
                "Vodafone UK",
                "",
                "",
            ]
        )
        events.append(
            [
                mid,
                "telnyx",
                "",
                _ts(t + timedelta(minutes=n, seconds=4)),
                "40001" if n else "delivered",
                "Not routable" if n else "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    # Uncatalogued codes: several texts over time (the latest is the example), a tie on time.
    for n, (text, minutes) in enumerate((("Unknown A", 0), ("Unknown B", 30), ("Unknown C", 30))):
        mid = f"unk{n}"
        sends.append(
            [
                mid,
                "twilio",
                "sms",
                _ts(t + timedelta(minutes=minutes)),
                "12345",
                f"+1415555200{n}",
                "US",
                "AT&T Mobility",
                "otp",
                1,
            ]
        )
        events.append(
            [
                mid,
                "twilio",
                "sms",
                _ts(t + timedelta(minutes=minutes, seconds=7)),
                "39999",
                text,
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    # Upstream codes: Chirp resells Telnyx; an unknown Chirp code with a known upstream one,
    # and an unknown code whose status word the catalog knows.
    for n in range(2):
        mid = f"chirp{n}"
        sends.append(
            [
                mid,
                "chirp",
                "sms",
                _ts(t),
                "+14155550002",
                f"+1415555300{n}",
                "US",
                "T-Mobile",
                "",
                1,
            ]
        )
        events.append(
            [
                mid,
                "chirp",
                "sms",
                _ts(t + timedelta(seconds=6)),
                "carrier_error",
                "Carrier said no",
                "",
                "telnyx",
                "40001" if n == 0 else "",
                "failed" if n else "",
                "",
                "",
            ]
        )
    # Receipts without a send: the message is described by its reports (latest wins).
    events.append(
        ["rcpt1", "telnyx", "sms", _ts(t), "sent", "", "Verizon", "", "", "", "US", "+14155554001"]
    )
    events.append(
        [
            "rcpt1",
            "telnyx",
            "sms",
            _ts(t + timedelta(seconds=8)),
            "delivered",
            "",
            "Verizon Wireless",
            "",
            "",
            "",
            "US",
            "+14155554001",
        ]
    )
    # Latencies under a second whose 90th percentile falls on half a millisecond: eight
    # Telnyx messages in one hour, the 90th at rank 6.3 between 100 and 105 ms (101.5 ms, the
    # fraction 0.3 inexact in doubles): every engine rounds it to 102 ms.
    for i, ms in enumerate([40, 40, 40, 40, 40, 40, 100, 105]):
        sent = datetime(2026, 10, 21, 9, 0, i)
        sends.append(
            [f"ms{i}", "telnyx", "sms", _ts(sent), "12345", "+14155555001", "US", "Verizon",
             "otp", 1]
        )  # fmt: skip
        events.append(
            [f"ms{i}", "telnyx", "sms", _ts(sent + timedelta(milliseconds=ms)), "delivered",
             "", "Verizon", "", "", "", "", ""]
        )  # fmt: skip
    # A duplicate report and a row no one can read.
    events.append(
        [
            "late1",
            "twilio",
            "sms",
            _ts(t + timedelta(seconds=3)),
            "delivered",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    events.append(
        ["bad1", "twilio", "sms", "yesterday-ish", "delivered", "", "", "", "", "", "", ""]
    )


def write_logs(folder: Path, files: int = 1, seed: int = 24) -> list[Path]:
    """The cases as canonical CSV logs in FOLDER: FILES send logs and FILES delivery logs
    (rows dealt round-robin). Returns their paths, send logs first."""
    rng = random.Random(seed)
    sends: list = []
    events: list = []
    _volume(rng, sends, events)
    _edges(sends, events)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, columns, rows in (("sends", SEND_COLUMNS, sends), ("events", EVENT_COLUMNS, events)):
        for part in range(files):
            path = folder / f"{kind}_{part}.csv"
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(columns)
                writer.writerows(rows[part::files])
            paths.append(path)
    return paths
