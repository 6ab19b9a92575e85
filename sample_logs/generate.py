#!/usr/bin/env python3
"""Write the sample logs: seven weeks of synthetic SMS/MMS traffic in each provider's native
format (plus canonical send logs where a native format has no send side).

    python sample_logs/generate.py                 # rewrite the committed samples here
    python sample_logs/generate.py --scale 20 --out /tmp/big   # a bigger set elsewhere

Deterministic: a fixed seed and fixed dates (Monday 2026-10-05 through Sunday 2026-11-22,
ISO weeks 2026-W41..W47), and every stream has its own random generator, so the same scale
always gives byte-identical files. What is planted (the spike, the week-over-week change) is
described in README.md beside this script; `--summary` prints the counts README quotes.

This is a tool, not the ingest path: it loops in Python (about a second at scale 1).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SEED = 20261005
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
DAYS = 49  # through Sunday 2026-11-22
PROMO_START = date(2026, 11, 9)  # black_friday_promo runs from here

# The planted spike: Twilio error 30007 (carrier filtering) at T-Mobile for the
# black_friday_promo blast on Wednesday 2026-11-18, 14:00-20:00 UTC.
SPIKE_DAY = date(2026, 11, 18)
SPIKE_HOURS = (14, 20)
SPIKE_BLAST = 450  # extra promo messages in the window (scale 1)
SPIKE_RATE = 0.45  # share of T-Mobile promo messages in the window filtered with 30007

# The planted rise spread over two weeks: Sinch failures at Vodafone UK creep up in W46 and
# jump in W47. Against the previous week alone W47 is not significant; against the four
# weeks before it, it is: what the review's second comparison is for.
WOW_CARRIER = "Vodafone UK"
WOW_WEEK_START = date(2026, 11, 16)  # Monday of 2026-W47
# Vodafone UK's Sinch messages fail at exactly these rates (rounded per week): a quota of
# that week's messages gets a failure code, the rest are delivered.
WOW_BASE_RATE = 0.04  # W41-W45
WOW_CREEP_RATE = 0.07  # W46
WOW_RATE = 0.18  # W47

CAMPAIGNS = {
    # name: (share of a provider's traffic, weekend factor, local hours (first, last))
    "otp": (0.35, 0.85, (6, 23)),
    "order_updates": (0.30, 0.70, (8, 21)),
    "appointment_reminders": (0.20, 0.15, (8, 18)),
    "black_friday_promo": (0.15, 0.90, (10, 20)),
}
# A local hour-of-day shape (0-23) shared by all traffic; campaigns cut it to their hours.
HOUR_SHAPE = [
    0.15, 0.08, 0.05, 0.05, 0.06, 0.12, 0.35, 0.75, 1.25, 1.70, 1.95, 2.00,
    1.95, 1.90, 1.85, 1.85, 1.90, 2.00, 1.90, 1.60, 1.25, 0.90, 0.55, 0.30,
]  # fmt: skip

# country -> carriers (name, share, MCCMNC) and local UTC offsets of its number ranges
COUNTRIES = {
    "US": {
        "carriers": [("T-Mobile", 36, "310260"), ("Verizon", 34, "311480"), ("AT&T", 30, "310410")],
        "areas": [
            (212, -5), (646, -5), (917, -5), (312, -6), (773, -6), (415, -8), (213, -8),
            (310, -8), (512, -6), (214, -6), (713, -6), (305, -5), (206, -8), (617, -5),
            (404, -5), (602, -7), (303, -7),
        ],
    },
    "CA": {
        "carriers": [("Rogers", 38, "302720"), ("Bell", 32, "302610"), ("Telus", 30, "302220")],
        "areas": [(416, -5), (647, -5), (604, -8), (514, -5), (403, -7), (613, -5)],
    },
    "GB": {"carriers": [("EE", 36, "23430"), ("Vodafone UK", 34, "23415"), ("O2", 30, "23410")]},
    "DE": {
        "carriers": [("Telekom", 40, "26201"), ("Vodafone DE", 33, "26202"), ("O2 DE", 27, "26203")]
    },
    "AU": {"carriers": [("Telstra", 45, "50501"), ("Optus", 35, "50502"), ("Vodafone AU", 20, "50503")]},
    "IN": {"carriers": [("Jio", 42, "405857"), ("Airtel", 38, "40410"), ("Vi", 20, "40420")]},
}  # fmt: skip
OFFSETS = {"GB": 0, "DE": 1, "AU": 11, "IN": 5.5}
# Carrier names as Telnyx reports them (its webhooks and MDRs use the LERG names).
TELNYX_CARRIERS = {
    "T-Mobile": "T-MOBILE USA, INC.",
    "Verizon": "CELLCO PARTNERSHIP DBA VERIZON WIRELESS",
    "AT&T": "AT&T MOBILITY",
}


# --------------------------------------------------------------------------------------
# Numbers, ids and times


@dataclass(frozen=True)
class Phone:
    number: str  # E.164
    country: str
    carrier: str
    mccmnc: str
    offset: float  # local hours from UTC


def make_pool(rng: random.Random, country: str, size: int) -> list[Phone]:
    """Fictional or reserved-looking numbers: NANP 555-01xx, UK Ofcom drama 07700 900xxx."""
    info = COUNTRIES[country]
    names = [c[0] for c in info["carriers"]]
    weights = [c[1] for c in info["carriers"]]
    mcc = {c[0]: c[2] for c in info["carriers"]}
    seen: set[str] = set()
    pool: list[Phone] = []
    while len(pool) < size:
        offset = OFFSETS.get(country, 0)
        if country in ("US", "CA"):
            area, offset = rng.choice(info["areas"])
            number = f"+1{area}55501{rng.randrange(100):02d}"
        elif country == "GB":
            number = f"+447700900{rng.randrange(1000):03d}"
        elif country == "DE":
            number = f"+49{rng.choice(('151', '160', '170', '176'))}{rng.randrange(10**8):08d}"
        elif country == "AU":
            number = f"+614915{rng.randrange(70000, 80000):05d}"
        else:  # IN
            number = f"+91{rng.choice('6789')}{rng.randrange(10**9):09d}"
        if number in seen:
            continue
        seen.add(number)
        carrier = rng.choices(names, weights)[0]
        pool.append(Phone(number, country, carrier, mcc[carrier], offset))
    return pool


def hexid(rng: random.Random, n: int = 32) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(rng: random.Random, when: datetime) -> str:
    ms = int(when.timestamp() * 1000)
    head = "".join(ULID_CHARS[(ms >> (5 * i)) & 31] for i in reversed(range(10)))
    return head + "".join(rng.choice(ULID_CHARS) for _ in range(16))


def iso_ms(t: datetime, z: str = "Z") -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}" + z


def iso_s(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------
# Traffic


@dataclass
class Message:
    provider: str
    stream: str
    sent_at: datetime
    phone: Phone
    campaign: str
    segments: int = 1
    channel: str = "sms"
    sender: str = ""
    mid: str = ""
    extra: dict = field(default_factory=dict)
    final: tuple | None = None  # provider-specific final status
    final_at: datetime | None = None
    interim: list[tuple] = field(default_factory=list)  # [(status, time)]


def day_factor(day: date, campaign: str) -> float:
    weekend = day.weekday() >= 5
    factor = CAMPAIGNS[campaign][1] if weekend else 1.0
    if campaign == "black_friday_promo":
        if day < PROMO_START:
            return 0.0
        factor *= 1.0 + 0.08 * (day - PROMO_START).days  # ramping up towards Black Friday
    return factor


def local_hours(campaign: str) -> tuple[list[int], list[float]]:
    first, last = CAMPAIGNS[campaign][2]
    hours = list(range(first, last + 1))
    return hours, [HOUR_SHAPE[h] for h in hours]


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def traffic(
    rng: random.Random,
    provider: str,
    stream: str,
    per_day: float,
    countries: list[tuple[str, float]],
    pools: dict[str, list[Phone]],
    campaigns: tuple[str, ...] = tuple(CAMPAIGNS),
) -> list[Message]:
    """Messages of one stream: Poisson counts per day and campaign, local-hour rhythm."""
    out: list[Message] = []
    names = [c for c, _ in countries]
    weights = [w for _, w in countries]
    for d in range(DAYS):
        day = (START + timedelta(days=d)).date()
        for campaign in campaigns:
            n = poisson(rng, per_day * CAMPAIGNS[campaign][0] * day_factor(day, campaign))
            hours, shape = local_hours(campaign)
            for _ in range(n):
                phone = rng.choice(pools[rng.choices(names, weights)[0]])
                local = rng.choices(hours, shape)[0]
                seconds = (local - phone.offset) * 3600 + rng.randrange(3600)
                sent = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                    seconds=seconds, microseconds=rng.randrange(1000) * 1000
                )
                segments = 1 if campaign == "otp" else rng.choices((1, 2, 3), (80, 16, 4))[0]
                out.append(Message(provider, stream, sent, phone, campaign, segments))
    out.sort(key=lambda m: m.sent_at)
    return [m for m in out if START <= m.sent_at < START + timedelta(days=DAYS)]


def pick(rng: random.Random, mix: list[tuple]) -> tuple:
    """One entry of [(weight, *status)] by weight; returns the status part."""
    total = sum(m[0] for m in mix)
    x = rng.random() * total
    for entry in mix:
        x -= entry[0]
        if x < 0:
            return entry[1:]
    return mix[-1][1:]


def delay(rng: random.Random, slow: bool = False) -> timedelta:
    if slow:  # expiries come after the validity period
        return timedelta(hours=rng.uniform(24, 72))
    return timedelta(seconds=1.5 + rng.lognormvariate(1.5, 0.8))


def lifecycle(
    rng: random.Random,
    m: Message,
    mix: list[tuple],
    interim: tuple,
    p_interim: float,
    p_no_report: float = 0.015,
    p_stuck: float = 0.005,
    slow_codes: tuple = (),
) -> None:
    """Final status (or none), interim statuses, and their times, on message m."""
    if m.final is None:
        roll = rng.random()
        if roll < p_no_report:
            return
        if roll < p_no_report + p_stuck:
            m.interim.append((interim, m.sent_at + timedelta(seconds=rng.uniform(0.3, 3))))
            return
        m.final = pick(rng, mix)
    m.final_at = m.sent_at + delay(rng, slow=m.final[0] in slow_codes)
    if rng.random() < p_interim:
        when = m.sent_at + timedelta(seconds=rng.uniform(0.3, 1.4))
        if rng.random() < 0.03:  # a late interim: stamped after the final
            when = m.final_at + timedelta(seconds=rng.uniform(1, 120))
        m.interim.append((interim, when))


def arrival(rng: random.Random, when: datetime) -> datetime:
    """When a report reaches the log: a little after it happened, now and then much later."""
    late = rng.uniform(30, 600) if rng.random() < 0.02 else rng.uniform(0.05, 4)
    return when + timedelta(seconds=late)


# --------------------------------------------------------------------------------------
# Code mixes (weights in per mille), in each provider's own terms

TWILIO_MIX = [
    (955, "delivered", ""), (12, "undelivered", "30003"), (6, "undelivered", "30005"),
    (5, "undelivered", "30006"), (4, "undelivered", "30007"), (3, "undelivered", "30008"),
    (2, "failed", "30034"), (2, "undelivered", ""), (1, "failed", ""),
    (2, "undelivered", "30450"),  # SMS pumping protection: not in the catalog
]  # fmt: skip
SINCH_MIX = [
    (970, "0", "Delivered"), (12, "404", "Failed"), (8, "406", "Expired"), (6, "402", "Aborted"),
    (4, "408", "Rejected"), (3, "61", "Failed"),  # 61: an SMPP error, not in the catalog
]  # fmt: skip
SINCH_FAILURES = [(50, "404", "Failed"), (30, "406", "Expired"), (20, "402", "Aborted")]
MM7_MIX = [
    (930, "Retrieved", "Success"), (30, "Expired", "Message expired"),
    (15, "Rejected", "Rejected by carrier"), (12, "Unreachable", "Handset unreachable"),
    (8, "NotSupported", "Handset does not support MMS"), (5, "Indeterminate", "No report"),
]  # fmt: skip
AZURE_MIX = [
    (950, "Delivered", "2000", "No error."),
    (10, "Failed", "4006", "The Destination/To number isn't reachable."),
    (8, "Failed", "4004", "Message failed to deliver since Destination/To number doesn't exist."),
    (5, "Failed", "4005", "Message blocked by Destination carrier."),
    (4, "Failed", "4007", "The Destination/To number opted out of receiving messages from you."),
    (2, "Failed", "4000", "Message is rejected due to fraud detection."),
    (12, "Failed", "5002", "Message Delivery Timeout"),
    (2, "Failed", "9999", "Message failed to deliver due to unknown error/failure."),
    (6, "Failed", "4021", "Message failed to deliver."),  # not in the catalog
]
SFMC_MIX = [
    (940, "4000", "Delivered"), (12, "4500", "Undeliverable"), (8, "4501", "Expired"),
    (6, "4503", "Rejected"), (8, "4504", "FailedDueToUnknownSubscriber"),
    (4, "4505", "FailedDueToInvalidDestinationAddress"), (15, "2000", "DeliveredToAggregator"),
    (3, "2600", "ThrottledToAggregator"), (2, "3400", "Unknown"),
    (2, "4599", "Undeliverable"),  # not in the catalog
]  # fmt: skip
WEBEX_MIX = [
    (940, "7500", "Delivered", "Delivered"),
    (12, "7208", "Message expired", "Un-Delivered"),
    (10, "7203", "Unknown Subscriber address", "Un-Delivered"),
    (10, "7201", "Delivery failed at Operator", "Un-Delivered"),
    (12, "7109", "User in DnD", "Un-Delivered"),
    (6, "7207", "Subscriber out of coverage area or not reachable", "Un-Delivered"),
    (3, "7111", "Spam content detected", "Un-Delivered"),
    (2, "7599", "Operator timeout", "Un-Delivered"),  # not in the catalog
]
TELNYX_MIX = [
    (950, "delivered", ""), (8, "delivery_failed", "40008"), (5, "delivery_failed", "40002"),
    (7, "delivery_failed", "40001"), (4, "delivery_failed", "40300"),
    (6, "delivery_failed", "40005"), (8, "delivery_unconfirmed", ""), (3, "delivery_failed", ""),
    (2, "expired", ""), (2, "delivery_failed", "40060"),  # 40060: not in the catalog
]  # fmt: skip
TELNYX_TITLES = {
    "40001": "Not routable", "40002": "Blocked as spam - temporary", "40005": "Message expired",
    "40008": "Undeliverable", "40300": "Blocked due to STOP message", "40060": "Carrier outage",
}  # fmt: skip
CHIRP_MIX = [
    (955, "delivered", "", "", ""),
    (12, "message_undeliverable", "40002", "provider_error", "The carrier rejected the message."),
    (8, "message_undeliverable", "40008", "provider_error", "The message could not be delivered."),
    (6, "message_undeliverable", "40300", "provider_error", "The carrier rejected the message."),
    (7, "invalid_phone_number", "40310", "invalid_request_error", "The phone number is not valid."),
    (3, "rate_limit_exceeded", "40018", "rate_limit_error", "Too many requests."),
    (2, "telnyx_api_error", "", "provider_error", "An unexpected error occurred with Telnyx."),
    # Chirp code unknown to the catalog; the Telnyx code behind it resolves it.
    (8, "carrier_timeout", "40005", "provider_error", "The carrier did not answer in time."),
    (6, "unknown_carrier_error", "", "provider_error", "The carrier returned an unknown error."),
]


# --------------------------------------------------------------------------------------
# Writers


class Files:
    def __init__(self, out: Path):
        self.out = out
        self.sizes: dict[str, int] = {}

    def text(self, name: str, text: str) -> None:
        data = text.encode("utf-8")
        (self.out / name).write_bytes(data)
        self.sizes[name] = len(data)

    def gzip(self, name: str, text: str) -> None:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
            gz.write(text.encode("utf-8"))
        (self.out / name).write_bytes(buf.getvalue())
        self.sizes[name] = len(buf.getvalue())


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def jdump(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def canonical_sends(messages: list[Message]) -> str:
    header = [
        "message_id", "provider", "channel", "sent_at", "sender", "recipient", "country",
        "carrier", "campaign", "segments",
    ]  # fmt: skip
    rows = [
        [
            m.mid,
            m.provider,
            m.channel,
            iso_ms(m.sent_at),
            m.sender,
            m.phone.number,
            m.phone.country,
            m.phone.carrier,
            m.campaign,
            m.segments,
        ]  # fmt: skip
        for m in sorted(messages, key=lambda m: (m.sent_at, m.mid))
    ]
    return csv_text(header, rows)


def ordered(lines: list[tuple[datetime, str]]) -> str:
    """Lines in the order they reached the log (arrival time, then text for ties)."""
    return "".join(text + "\n" for _, text in sorted(lines))


# --------------------------------------------------------------------------------------
# Providers


def twilio(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 1)
    us_ca = [("US", 85), ("CA", 15)]
    messages = traffic(rng, "twilio", "callbacks", 42 * scale, us_ca, pools)
    # The promo blast behind the spike: US only, inside the window.
    blast_rng = random.Random(SEED + 101)
    for _ in range(round(SPIKE_BLAST * scale)):
        phone = blast_rng.choice(pools["US"])
        sent = datetime(SPIKE_DAY.year, SPIKE_DAY.month, SPIKE_DAY.day, tzinfo=UTC) + timedelta(
            hours=SPIKE_HOURS[0],
            seconds=blast_rng.randrange((SPIKE_HOURS[1] - SPIKE_HOURS[0]) * 3600 - 600),
            microseconds=blast_rng.randrange(1000) * 1000,
        )
        segments = blast_rng.choices((1, 2), (60, 40))[0]
        messages.append(Message("twilio", "callbacks", sent, phone, "black_friday_promo", segments))
    messages.sort(key=lambda m: m.sent_at)
    senders = ["+18885550142", "+18885550177"]
    lines: list[tuple[datetime, str]] = []
    account = "AC" + hexid(rng)
    spike_hits = 0
    for m in messages:
        m.mid = "SM" + hexid(rng)
        m.sender = rng.choice(senders)
        in_window = (
            m.sent_at.date() == SPIKE_DAY and SPIKE_HOURS[0] <= m.sent_at.hour < SPIKE_HOURS[1]
        )
        if (
            in_window
            and m.phone.carrier == "T-Mobile"
            and m.campaign == "black_friday_promo"
            and rng.random() < SPIKE_RATE
        ):
            m.final = ("undelivered", "30007")
            spike_hits += 1
        lifecycle(rng, m, TWILIO_MIX, ("sent", ""), p_interim=0.35)
        common = (
            f"&From={m.sender.replace('+', '%2B')}&To={m.phone.number.replace('+', '%2B')}"
            f"&AccountSid={account}&ApiVersion=2010-04-01"
        )
        for (status, _), when in m.interim:
            body = f"MessageSid={m.mid}&MessageStatus={status}&SmsSid={m.mid}&SmsStatus={status}"
            got = arrival(rng, when)
            lines.append((got, f"{iso_ms(got)} {body}{common}"))
        if m.final:
            status, code = m.final
            body = f"MessageSid={m.mid}&MessageStatus={status}&SmsSid={m.mid}&SmsStatus={status}"
            if code:
                body += f"&ErrorCode={code}"
            done = m.final_at.strftime("%y%m%d%H%M")
            got = arrival(rng, m.final_at)
            lines.append((got, f"{iso_ms(got)} {body}{common}&RawDlrDoneDate={done}"))
    files.text("twilio_status_callbacks.txt", ordered(lines))
    files.text("twilio_sends.csv", canonical_sends(messages))
    summary["twilio_spike_30007"] = spike_hits

    # Console message log: another sender account's traffic, one row per message.
    rng = random.Random(SEED + 2)
    console = traffic(rng, "twilio", "console", 14 * scale, us_ca, pools)
    rows = []
    account2 = "AC" + hexid(rng)
    bodies = {
        "otp": "Your verification code is {n}",
        "order_updates": "Your order #{n} has shipped, track it at https://example.com/t/{n}",
        "appointment_reminders": "Reminder: your appointment is tomorrow at 10:30. Reply C to confirm.",
        "black_friday_promo": "BLACK FRIDAY early access: 30% off everything with code BF{n}. Reply STOP to opt out",
    }
    for m in console:
        m.mid = "SM" + hexid(rng)
        m.sender = "+18445550123"
        lifecycle(rng, m, TWILIO_MIX, ("sent", ""), p_interim=0.0, p_no_report=0.0)
        status, code = m.final if m.final else ("sent", "")
        pacific = -7 if m.sent_at < datetime(2026, 11, 1, 9, tzinfo=UTC) else -8
        local = m.sent_at + timedelta(hours=pacific)
        sent = local.strftime("%Y-%m-%dT%H:%M:%S") + f"{pacific:+03d}:00"
        price = f"-{0.0083 * m.segments:.4f}"
        rows.append(
            [
                m.sender,
                m.phone.number,
                bodies[m.campaign].format(n=rng.randrange(100000, 999999)),
                status,
                sent,
                "2010-04-01",
                m.segments,
                code,
                account2,
                m.mid,
                "outbound-api",
                price,
                "USD",
            ]  # fmt: skip
        )
    files.text(
        "twilio_console_message_log.csv",
        csv_text(
            [
                "From",
                "To",
                "Body",
                "Status",
                "SentDate",
                "ApiVersion",
                "NumSegments",
                "ErrorCode",
                "AccountSid",
                "Sid",
                "Direction",
                "Price",
                "PriceUnit",
            ],  # fmt: skip
            rows,
        ),
    )

    # Bulk Export: a third account, gzip NDJSON message resources.
    rng = random.Random(SEED + 3)
    bulk = traffic(rng, "twilio", "bulk", 26 * scale, us_ca, pools)
    records = []
    account3 = "AC" + hexid(rng)
    service = "MG" + hexid(rng)
    for m in bulk:
        m.mid = "SM" + hexid(rng)
        m.sender = "+18335550188"
        lifecycle(rng, m, TWILIO_MIX, ("sent", ""), p_interim=0.0, p_no_report=0.0)
        status, code = m.final if m.final else ("sent", "")
        media = 1 if m.campaign == "black_friday_promo" and rng.random() < 0.3 else 0
        updated = m.final_at or m.sent_at + timedelta(seconds=1)
        records.append(
            jdump(
                {
                    "account_sid": account3,
                    "api_version": "2010-04-01",
                    "date_created": iso_s(m.sent_at - timedelta(seconds=1)),
                    "date_sent": iso_s(m.sent_at),
                    "date_updated": iso_s(updated),
                    "direction": "outbound-api",
                    "error_code": int(code) if code else None,
                    "error_message": None,
                    "from": m.sender,
                    "messaging_service_sid": service,
                    "num_media": str(media),
                    "num_segments": str(m.segments),
                    "price": f"-{0.0083 * m.segments:.5f}",
                    "price_unit": "USD",
                    "sid": m.mid,
                    "status": status,
                    "to": m.phone.number,
                }
            )
        )
    files.gzip("twilio_bulk_export.ndjson.gz", "".join(r + "\n" for r in records))
    summary["twilio_messages"] = len(messages) + len(console) + len(bulk)


def sinch(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 4)
    countries = [("GB", 74), ("DE", 15), ("AU", 11)]
    messages = traffic(rng, "sinch", "recipient", 64 * scale, countries, pools)
    lines: list[tuple[datetime, str]] = []
    wow = Counter()
    quota_rng = random.Random(SEED + 104)
    weeks: dict[int, list[int]] = {}
    for i, m in enumerate(messages):
        if m.phone.carrier == WOW_CARRIER:
            weeks.setdefault(m.sent_at.isocalendar().week, []).append(i)
    failing: set[int] = set()
    for week, members in sorted(weeks.items()):
        weeks_before = WOW_WEEK_START.isocalendar().week - week
        rate = {0: WOW_RATE, 1: WOW_CREEP_RATE}.get(weeks_before, WOW_BASE_RATE)
        failing |= set(quota_rng.sample(members, round(rate * len(members))))
    for i, m in enumerate(messages):
        m.sender = {"GB": "ACMESHOP", "DE": "ACME", "AU": "ACME AU"}[m.phone.country]
        m.mid = f"{ulid(rng, m.sent_at)}:{m.phone.number.lstrip('+')}"
        if m.phone.carrier == WOW_CARRIER:
            m.final = pick(rng, SINCH_FAILURES) if i in failing else ("0", "Delivered")
        lifecycle(rng, m, SINCH_MIX, ("401", "Dispatched"), p_interim=0.3, slow_codes=("406",))
        batch_id, recipient = m.mid.split(":")
        base = {
            "type": "recipient_delivery_report_sms",
            "batch_id": batch_id,
            "recipient": recipient,
        }
        for (code, status), when in m.interim:
            got = arrival(rng, when)
            report = {**base, "code": int(code), "status": status, "at": iso_ms(when)}
            lines.append((got, jdump(report)))
        if m.final:
            code, status = m.final
            got = arrival(rng, m.final_at)
            report = {**base, "code": int(code), "status": status, "at": iso_ms(m.final_at)}
            report["operator_status_at"] = iso_ms(m.final_at - timedelta(milliseconds=441))
            report |= {
                "applied_originator": m.sender,
                "number_of_message_parts": m.segments,
                "operator": m.phone.mccmnc,
            }
            lines.append((got, jdump(report)))
        if m.phone.carrier == WOW_CARRIER:
            week = m.sent_at.isocalendar().week
            wow[(week, "messages")] += 1
            if m.final and m.final[0] != "0":
                wow[(week, "failed")] += 1
    files.text("sinch_recipient_delivery_reports.ndjson", ordered(lines))
    summary["sinch_vodafone_uk"] = {
        f"W{w}": (wow[(w, "failed")], wow[(w, "messages")]) for w in range(41, 48)
    }

    # Batch reports: OTP and reminders to Germany and Australia in small batches.
    rng = random.Random(SEED + 5)
    batch_msgs = traffic(
        rng, "sinch", "batch", 10 * scale, [("DE", 60), ("AU", 40)], pools,
        campaigns=("otp", "appointment_reminders"),
    )  # fmt: skip
    batch_lines = []
    i = 0
    while i < len(batch_msgs):
        group = batch_msgs[i : i + rng.randint(2, 6)]
        i += len(group)
        numbers = {m.phone.number: m for m in group}  # a batch lists a recipient once
        for m in group:
            if numbers[m.phone.number] is not m:
                m.phone = rng.choice(pools[m.phone.country])
                while m.phone.number in numbers:
                    m.phone = rng.choice(pools[m.phone.country])
                numbers[m.phone.number] = m
        batch_id = ulid(rng, group[0].sent_at)
        statuses: dict[tuple[str, str], list[str]] = {}
        last = group[0].sent_at
        for m in group:
            m.sent_at = group[0].sent_at  # one batch, one send time
            m.sender = "ACME"
            m.mid = f"{batch_id}:{m.phone.number.lstrip('+')}"
            lifecycle(
                rng, m, SINCH_MIX[:5], ("401", "Dispatched"), 0.0, p_no_report=0.0, p_stuck=0.0
            )
            statuses.setdefault(m.final, []).append(m.phone.number.lstrip("+"))
            last = max(last, m.final_at)
        report = {
            "type": "delivery_report_sms",
            "batch_id": batch_id,
            "total_message_count": len(group),
            "statuses": [
                {"code": int(code), "status": status, "count": len(rcpts), "recipients": rcpts}
                for (code, status), rcpts in sorted(statuses.items())
            ],
            "at": iso_ms(last + timedelta(minutes=5)),
        }
        batch_lines.append((last, jdump(report)))
    files.text("sinch_batch_delivery_reports.ndjson", ordered(batch_lines))

    # MM7 delivery reports for MMS to the US and Australia, one SOAP envelope per request.
    rng = random.Random(SEED + 6)
    mms = traffic(
        rng, "sinch", "mm7", 4 * scale, [("US", 70), ("AU", 30)], pools,
        campaigns=("order_updates", "black_friday_promo"),
    )  # fmt: skip
    envelopes: list[tuple[datetime, str]] = []
    for m in mms:
        m.channel = "mms"
        m.segments = 1
        m.sender = "111122"
        m.mid = str(rng.randrange(10**17, 10**18))
        lifecycle(rng, m, MM7_MIX, ("Deferred", "Deferred"), 0.2, slow_codes=("Expired",))
        reports = [(when, status, "Deferred") for (status, _), when in m.interim]
        if m.final:
            reports.append((m.final_at, m.final[0], m.final[1]))
        for when, status, text in reports:
            tx = hexid(rng, 16)
            envelopes.append(
                (
                    arrival(rng, when),
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
                    '<env:Header><mm7:TransactionID xmlns:mm7="http://www.3gpp.org/ftp/Specs/'
                    'archive/23_series/23.140/schema/REL-6-MM7-1-4" env:mustUnderstand="1">'
                    f"{tx}</mm7:TransactionID></env:Header>\n<env:Body><DeliveryReportReq "
                    'xmlns="http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/'
                    'REL-6-MM7-1-4"><MM7Version>6.8.0</MM7Version>'
                    f"<MessageID>{m.mid}</MessageID>\n<Recipient><Number>"
                    f"{m.phone.number.lstrip('+')}</Number></Recipient><Sender><Number>"
                    f"{m.sender}</Number></Sender><Date>{iso_ms(when)}</Date>"
                    f"<MMStatus>{status}</MMStatus><StatusText>{text}</StatusText>"
                    "</DeliveryReportReq></env:Body></env:Envelope>",
                )
            )
    files.text("sinch_mm7_delivery_reports.xml", ordered(envelopes))
    files.text("sinch_sends.csv", canonical_sends(messages + batch_msgs + mms))
    summary["sinch_messages"] = len(messages) + len(batch_msgs) + len(mms)


def azure(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 7)
    messages = traffic(
        rng, "azure_acs", "acs", 14 * scale, [("US", 60), ("CA", 25), ("GB", 15)], pools
    )
    events: list[tuple[datetime, str]] = []
    sends = []
    topic = (
        "/subscriptions/6f1c3e2a-0000-4000-8000-00000000acs1/resourceGroups/rg-messaging/"
        "providers/microsoft.communication/communicationservices/acs-notify-prod"
    )
    for m in messages:
        m.sender = "18445550199"
        m.mid = m.sent_at.strftime("Outgoing_%Y%m%d%H%M%S") + guid(rng)
        lifecycle(rng, m, AZURE_MIX, None, p_interim=0.0)
        if rng.random() < 0.98:  # a few sends are missing from the monitor export
            sends.append(m)
        if not m.final:
            continue
        status, code, text = m.final
        details = "No error." if code == "2000" else f"ErrorCode: {code}. ErrorMessage: {text}"
        received = m.final_at
        attempt = received - timedelta(seconds=rng.uniform(2, 6))
        failed = 0 if status == "Delivered" else m.segments
        event = {
            "id": m.mid,
            "topic": topic,
            "subject": f"/phonenumber/{m.phone.number.lstrip('+')}",
            "data": {
                "messageId": m.mid,
                "from": m.sender,
                "to": m.phone.number,
                "deliveryStatus": status,
                "deliveryStatusDetails": details,
                "receivedTimestamp": received.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{received.microsecond:06d}0Z",
                "deliveryAttempts": [
                    {
                        "timestamp": attempt.strftime("%Y-%m-%dT%H:%M:%S.")
                        + f"{attempt.microsecond:06d}0Z",
                        "segmentsSucceeded": m.segments - failed,
                        "segmentsFailed": failed,
                    }
                ],
                "Tag": m.campaign,
            },
            "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
            "dataVersion": "1.0",
            "metadataVersion": "1",
            "eventTime": iso_s(received),
        }
        events.append((arrival(rng, received), jdump(event)))
    events.sort()
    files.text(
        "azure_event_grid_delivery_reports.json",
        "[\n" + ",\n".join(text for _, text in events) + "\n]\n",
    )
    rows = []
    tenant = guid(rng)
    for m in sends:
        t = m.sent_at
        portal = f"{t.month}/{t.day}/{t.year}, {(t.hour % 12) or 12}:{t.minute:02d}:{t.second:02d}"
        portal += f".{t.microsecond // 1000:03d} {'AM' if t.hour < 12 else 'PM'}"
        rows.append(
            [
                tenant,
                portal,
                "SMSMessagesSent",
                "SMSOperational",
                "Succeeded",
                "202",
                guid(rng),
                m.mid,
                "+" + m.sender,
                "TollFreeNumber",
                m.phone.country,
                1,
                rng.randint(40, 150),
                "Azure.Communication.Sms",
                "Python",
            ]  # fmt: skip
        )
    files.text(
        "azure_monitor_sms_operations.csv",
        csv_text(
            [
                "TenantId",
                "TimeGenerated [UTC]",
                "OperationName",
                "Category",
                "ResultType",
                "ResultSignature",
                "CorrelationId",
                "MessageId",
                "PhoneNumber",
                "NumberType",
                "Country",
                "DeliveryAttempts",
                "OutgoingMessageLength",
                "SdkType",
                "PlatformType",
            ],  # fmt: skip
            rows,
        ),
    )
    summary["azure_messages"] = len(messages)


def sfmc(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 8)
    messages = traffic(rng, "sfmc", "tracking", 26 * scale, [("US", 80), ("CA", 20)], pools)
    definitions = {
        "otp": 101,
        "order_updates": 102,
        "appointment_reminders": 103,
        "black_friday_promo": 104,
    }
    campaign_ids = {
        "otp": 9001,
        "order_updates": 9002,
        "appointment_reminders": 9003,
        "black_friday_promo": 9004,
    }
    cst = timedelta(hours=-6)  # SFMC data views: US Central Standard Time, no daylight saving
    rows: list[tuple[datetime, list]] = []
    tracking = 884000000
    for m in messages:
        m.sender = "52266"
        lifecycle(
            rng, m, SFMC_MIX, ("2000", "DeliveredToAggregator"), p_interim=0.0,
            p_no_report=0.0, p_stuck=0.0, slow_codes=("4501",),
        )  # fmt: skip
        subscriber = f"SK{rng.randrange(10**7):07d}"
        created = m.sent_at + cst
        code, description = m.final
        # The extract also holds an earlier, interim status for some messages.
        snapshot = rng.random() < 0.25 and code != "2000"
        for part in range(m.segments):
            tracking += 1
            part_final = m.final_at + timedelta(seconds=part * 3 + rng.randint(0, 2) * (part > 0))
            states = []
            if snapshot:
                aggregator = m.sent_at + timedelta(seconds=1 + part)
                states.append((aggregator, "2000", "DeliveredToAggregator", part_final))
            states.append((part_final, code, description, part_final))
            for when, c, desc, modified in states:
                delivered = 1 if c == "4000" else 0
                undelivered = 1 if c.startswith("45") else 0
                rows.append(
                    (
                        when,
                        [
                            tracking,
                            m.phone.number.lstrip("+"),
                            definitions[m.campaign],
                            m.campaign,
                            campaign_ids[m.campaign],
                            m.sender,
                            "ACME",
                            1,
                            delivered,
                            undelivered,
                            1,
                            0,
                            created.strftime("%Y-%m-%d %H:%M:%S"),
                            (modified + cst).strftime("%Y-%m-%d %H:%M:%S"),
                            (when + cst).strftime("%Y-%m-%d %H:%M:%S"),
                            c,
                            desc,
                            part,
                            subscriber,
                            0,
                        ],  # fmt: skip
                    )
                )
    rows.sort(key=lambda r: (r[0], r[1][0]))
    files.text(
        "sfmc_sms_message_tracking.csv",
        csv_text(
            [
                "MobileMessageTrackingID",
                "Mobile",
                "MessageID",
                "Name",
                "CampaignID",
                "ShortCode",
                "FromName",
                "Sent",
                "Delivered",
                "Undelivered",
                "Outbound",
                "Inbound",
                "CreateDateTime",
                "ModifiedDateTime",
                "ActionDateTime",
                "SMSStandardStatusCodeId",
                "Description",
                "Ordinal",
                "SubscriberKey",
                "IsTest",
            ],  # fmt: skip
            [r for _, r in rows],
        ),
    )
    summary["sfmc_messages"] = len(messages)


def webex(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 9)
    countries = [("IN", 75), ("GB", 25)]
    hooks = traffic(rng, "webex_connect", "webhook", 12 * scale, countries, pools)
    lines: list[tuple[datetime, str]] = []
    for m in hooks:
        m.sender = "ACMEIN"
        m.mid = guid(rng)
        lifecycle(rng, m, WEBEX_MIX, ("7501", "Submitted", "Submitted"), 0.6, slow_codes=("7208",))
        reports = [(when, *status) for status, when in m.interim]
        if m.final:
            reports.append((m.final_at, *m.final))
        correlation = f"{m.campaign}-{rng.randrange(10**6):06d}"
        for when, code, description, status in reports:
            receipt = {
                "deliveryInfoNotification": {
                    "deliveryInfo": {
                        "deliveryChannel": "SMS",
                        "Description": description,
                        "destinationType": "msisdn",
                        "timeStamp": when.strftime("%Y-%m-%dT%H:%M:%S.")
                        + f"{when.microsecond // 1000:03d}",
                        "code": code,
                        "deliveryStatus": status,
                        "destination": m.phone.number.lstrip("+"),
                    },
                    "correlationid": correlation,
                    "callbackData": m.campaign,
                    "transid": m.mid,
                }
            }
            lines.append((arrival(rng, when), jdump(receipt)))
    files.text("webex_delivery_receipts.ndjson", ordered(lines))

    rng = random.Random(SEED + 10)
    exported = traffic(rng, "webex_connect", "export", 15 * scale, countries, pools)
    ist = timedelta(hours=5, minutes=30)
    templates = {
        "otp": 1101,
        "order_updates": 1102,
        "appointment_reminders": 1103,
        "black_friday_promo": 1104,
    }
    rows: list[tuple[datetime, list]] = []
    for m in exported:
        m.sender = "ACMEIN"
        m.mid = guid(rng)
        lifecycle(rng, m, WEBEX_MIX, ("7501", "Submitted", "Submitted"), 0.8, slow_codes=("7208",))
        reports = [(when, *status) for status, when in m.interim]
        if m.final:
            reports.append((m.final_at, *m.final))
        correlation = f"crm-{rng.randrange(10**8):08d}"
        for when, _code, description, status in reports:
            rows.append(
                (
                    when,
                    [
                        m.mid,
                        correlation,
                        templates[m.campaign],
                        "",
                        m.sender,
                        "SMS",
                        "acme-notify",
                        description,
                        status,
                        (when + ist).strftime("%Y-%m-%d %H:%M:%S"),
                        "Asia/Kolkata",
                        m.phone.number.lstrip("+"),
                        f"{m.campaign.replace('_', ' ').title()} message",
                    ],  # fmt: skip
                )
            )
    rows.sort(key=lambda r: (r[0], r[1][0]))
    files.text(
        "webex_export_logs_sms.csv",
        csv_text(
            [
                "Transaction ID",
                "Correlation ID",
                "Template ID",
                "CRN Number",
                "Source",
                "Channel",
                "Asset",
                "Event Description",
                "Current Status",
                "Time",
                "Timezone",
                "MSISDN",
                "Message",
            ],  # fmt: skip
            [r for _, r in rows],
        ),
    )
    files.text("webex_sends.csv", canonical_sends(hooks + exported))
    summary["webex_messages"] = len(hooks) + len(exported)


def telnyx(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 11)
    hooks = traffic(rng, "telnyx", "webhook", 7 * scale, [("US", 100)], pools)
    profile = guid(rng)
    lines: list[tuple[datetime, str]] = []
    for m in hooks:
        m.sender = "+18445550173"
        m.mid = guid(rng)
        lifecycle(rng, m, TELNYX_MIX, ("sent", ""), p_interim=0.92, p_no_report=0.01)
        carrier = TELNYX_CARRIERS[m.phone.carrier]

        def event(kind: str, status: str, code: str, when: datetime) -> dict:
            payload = {
                "id": m.mid,  # noqa: B023 - built and used within this iteration
                "record_type": "message",
                "direction": "outbound",
                "type": "SMS",
                "messaging_profile_id": profile,
                "from": {"phone_number": m.sender, "carrier": "TELNYX LLC", "line_type": "VoIP"},  # noqa: B023
                "to": [
                    {
                        "phone_number": m.phone.number,  # noqa: B023
                        "status": status,
                        "carrier": carrier,  # noqa: B023
                        "line_type": "Wireless",
                    }
                ],
                "parts": m.segments,  # noqa: B023
                "encoding": "GSM-7",
                "tags": [m.campaign],  # noqa: B023
                "sent_at": iso_ms(m.sent_at, "+00:00"),  # noqa: B023
                "completed_at": iso_ms(when, "+00:00") if kind == "message.finalized" else None,
                "errors": [{"code": code, "title": TELNYX_TITLES[code]}] if code else [],
            }
            return {
                "data": {
                    "event_type": kind,
                    "id": guid(rng),
                    "occurred_at": iso_ms(when, "+00:00"),
                    "payload": payload,
                    "record_type": "event",
                },
                "meta": {"attempt": 1, "delivered_to": "https://hooks.example.com/telnyx"},
            }

        for (status, _), when in m.interim:
            lines.append((arrival(rng, when), jdump(event("message.sent", status, "", when))))
        if m.final:
            status, code = m.final
            body = event("message.finalized", status, code, m.final_at)
            lines.append((arrival(rng, m.final_at), jdump(body)))
    files.text("telnyx_message_webhooks.ndjson", ordered(lines))

    rng = random.Random(SEED + 12)
    mdr = traffic(rng, "telnyx", "mdr", 22 * scale, [("US", 100)], pools)
    rows = []
    mdr_status = {"delivered": "delivered", "delivery_failed": "failed", "expired": "dlr_timeout"}
    for m in mdr:
        m.sender = "+18445550174"
        m.mid = guid(rng)
        lifecycle(rng, m, TELNYX_MIX, ("sent", ""), 0.0, p_no_report=0.0, p_stuck=0.0)
        status, code = m.final
        status = mdr_status.get(status, "dlr_unconfirmed")
        if status == "failed" and not code:
            status = rng.choice(("gw_reject", "gw_timeout"))
        rows.append(
            [
                m.mid,
                m.sender,
                m.phone.number,
                status,
                f'["{code}"]' if code else "[]",
                TELNYX_CARRIERS[m.phone.carrier],
                m.phone.country,
                m.phone.mccmnc[:3],
                m.phone.mccmnc[3:],
                m.segments,
                iso_ms(m.sent_at - timedelta(seconds=1)),
                iso_ms(m.sent_at),
                iso_ms(m.final_at),
                "outbound",
                "SMS",
                "acme-notify",
                m.campaign,
            ]  # fmt: skip
        )
    files.text(
        "telnyx_mdr.csv",
        csv_text(
            [
                "uuid",
                "cli",
                "cld",
                "status",
                "errors",
                "carrier",
                "country_code",
                "mcc",
                "mnc",
                "parts",
                "created_at",
                "sent_at",
                "completed_at",
                "direction",
                "message_type",
                "profile_name",
                "tags",
            ],  # fmt: skip
            rows,
        ),
    )
    summary["telnyx_messages"] = len(hooks) + len(mdr)


def chirp(files: Files, scale: float, pools: dict, summary: dict) -> None:
    rng = random.Random(SEED + 13)
    messages = traffic(rng, "chirp", "webhook", 9 * scale, [("US", 100)], pools)
    app = "app_" + hexid(rng, 12)
    lines: list[tuple[datetime, str]] = []
    for m in messages:
        m.sender = "+18445550161"
        m.mid = "msg_" + hexid(rng, 20)
        lifecycle(rng, m, CHIRP_MIX, ("sent", "", "", ""), p_interim=0.97, p_no_report=0.01)
        message = {"id": m.mid, "from": m.sender, "to": m.phone.number, "type": "SMS"}
        reports = [(when, "sent", None) for _, when in m.interim]
        if m.final:
            code, upstream, kind, text = m.final
            if code == "delivered":
                reports.append((m.final_at, "delivered", None))
            else:
                error = {"type": kind, "code": code, "message": text}
                if upstream:
                    error["provider"] = {
                        "source": "telnyx",
                        "code": upstream,
                        "message": TELNYX_TITLES.get(upstream, "Carrier rejected the message"),
                    }
                reports.append((m.final_at, "failed", error))
        for when, word, error in reports:
            body = {
                "event": f"messages.sms.{word}",
                "timestamp": iso_ms(when),
                "data": {"message": message, "app": {"id": app}},
            }
            if error:
                body["data"]["error"] = error
            lines.append((arrival(rng, when), jdump(body)))
    files.text("chirp_webhooks.ndjson", ordered(lines))
    summary["chirp_messages"] = len(messages)


def generate(out: Path, scale: float = 1.0) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    sizes = {"US": 1700, "CA": 600, "GB": 1000, "DE": 900, "AU": 700, "IN": 1200}
    pools = {c: make_pool(rng, c, n) for c, n in sizes.items()}
    files = Files(out)
    summary: dict = {}
    for provider in (twilio, sinch, azure, sfmc, webex, telnyx, chirp):
        provider(files, scale, pools, summary)
    summary["files"] = dict(sorted(files.sizes.items()))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1)")
    parser.add_argument("--summary", action="store_true", help="print what was planted")
    args = parser.parse_args()
    summary = generate(args.out, args.scale)
    total = sum(summary["files"].values())
    if args.summary:
        print(json.dumps(summary, indent=2))
    print(f"wrote {len(summary['files'])} files, {total / 1e6:.2f} MB, to {args.out}")


if __name__ == "__main__":
    main()
