"""Deterministic synthetic send and delivery logs, written as canonical CSV files.

The analytics tests build real stores from these through the real ingest path. Volumes
follow a daily cycle (busy afternoons, quiet nights) and a weekly one (quieter weekends);
final codes are drawn per message with fixed rates (pure binomial noise), and "plants" add
a known extra rate of a code in a known window, optionally at one carrier only.

The codes are our own (7xxx), described in CATALOG_EXTRA and passed as --catalog-extra, so
the tests do not depend on the shipped catalog's contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

CATALOG_EXTRA = """provider,channel,code,variant,name,outcome,category,final,retryable
azure_acs,sms,7000,0,Synthetic delivered,delivered,delivered,true,false
azure_acs,sms,7101,0,Synthetic carrier filter,failed,carrier_filtered,true,false
azure_acs,sms,7102,0,Synthetic invalid number,failed,invalid_number,true,false
azure_acs,sms,7103,0,Synthetic unreachable,failed,unreachable,true,true
azure_acs,sms,7104,0,Synthetic opted out,failed,opted_out,true,false
azure_acs,sms,7105,0,Synthetic rate limited,failed,rate_limited,true,true
azure_acs,sms,7106,0,Synthetic provider error,failed,provider_error,true,true
azure_acs,sms,7201,0,Synthetic in flight,pending,in_progress,false,false
telnyx,sms,7000,0,Synthetic delivered,delivered,delivered,true,false
telnyx,sms,7101,0,Synthetic carrier filter,failed,carrier_filtered,true,false
telnyx,sms,7102,0,Synthetic invalid number,failed,invalid_number,true,false
telnyx,sms,7103,0,Synthetic unreachable,failed,unreachable,true,true
telnyx,sms,7104,0,Synthetic opted out,failed,opted_out,true,false
"""
DELIVERED = "7000"
# Realistic failure mixes: a few percent of failures, most of them from two codes.
RATES = {"7101": 0.012, "7102": 0.02, "7103": 0.006, "7104": 0.003, "7105": 0.001}
CARRIERS = {"AT&T": 0.4, "Verizon": 0.35, "T-Mobile": 0.2, "US Cellular": 0.05}
COUNTRIES = {"US": 0.9, "CA": 0.1}
CAMPAIGNS = {"welcome": 0.5, "otp": 0.3, "promo": 0.2}
SENDERS = {"+18005550100": 0.6, "+18005550101": 0.4}
START = datetime(2024, 1, 1)  # a Monday


@dataclass(frozen=True)
class Stream:
    """Traffic of one provider/channel: mean messages per hour and code rates."""

    provider: str = "azure_acs"
    channel: str = "sms"
    per_hour: float = 300.0
    rates: dict[str, float] = field(default_factory=lambda: dict(RATES))
    carriers: dict[str, float] = field(default_factory=lambda: dict(CARRIERS))
    # When given, the carrier stops receiving traffic at this time (its share goes to the
    # others): a carrier that disappears mid-baseline.
    carrier_gone: tuple[str, datetime] | None = None
    # Extra rates of codes between 00:00 and 06:00 UTC every night: a daily cycle in the
    # rate itself, which only a same-hour-of-day baseline reads as normal.
    night: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Plant:
    """From START for DURATION, messages of the stream (at CARRIER only, if given) end on
    CODE with an extra probability RATE."""

    start: datetime
    code: str
    rate: float
    duration: timedelta = timedelta(hours=1)
    provider: str = "azure_acs"
    channel: str = "sms"
    carrier: str | None = None


def _choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    names = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return names[rng.choice(len(names), size=size, p=p / p.sum())]


def hourly_volume(hours: np.ndarray, per_hour: float) -> np.ndarray:
    """Mean messages per hour: a daily cycle peaking mid-afternoon, quieter weekends."""
    hour_of_day = hours % 24
    daily = 1.0 + 0.7 * np.sin(2 * np.pi * (hour_of_day - 9) / 24)
    weekday = (hours // 24) % 7  # START is a Monday
    weekly = np.where(weekday >= 5, 0.6, 1.0)
    return per_hour * daily * weekly / 0.943  # keep the average near per_hour


def messages(
    seed: int,
    days: int,
    streams: tuple[Stream, ...] = (Stream(),),
    plants: tuple[Plant, ...] = (),
    start: datetime = START,
    no_report: float = 0.01,
) -> pl.DataFrame:
    """One row per message: message_id, provider, channel, sent_at, sender, recipient,
    country, carrier, campaign, segments, code (None: no delivery report)."""
    rng = np.random.default_rng(seed)
    frames = []
    for s_index, stream in enumerate(streams):
        hours = np.arange(days * 24)
        counts = rng.poisson(hourly_volume(hours, stream.per_hour))
        hour_of = np.repeat(hours, counts)
        n = hour_of.size
        offset = hour_of * 3600 + rng.integers(0, 3600, size=n)
        sent_at = np.datetime64(start, "s") + offset.astype("timedelta64[s]")
        carrier = _choice(rng, stream.carriers, n)
        if stream.carrier_gone is not None:
            gone, when = stream.carrier_gone
            others = {k: v for k, v in stream.carriers.items() if k != gone}
            after = (carrier == gone) & (sent_at >= np.datetime64(when, "s"))
            carrier[after] = _choice(rng, others, int(after.sum()))
        codes = np.array([*stream.rates, DELIVERED])
        p = np.array([*stream.rates.values(), 1 - sum(stream.rates.values())])
        code = codes[rng.choice(len(codes), size=n, p=p)].astype(object)
        night = (hour_of % 24) < 6
        for night_code, rate in stream.night.items():
            code[night & (rng.random(n) < rate)] = night_code
        for plant in plants:
            if (plant.provider, plant.channel) != (stream.provider, stream.channel):
                continue
            begin = np.datetime64(plant.start, "s")
            inside = (sent_at >= begin) & (sent_at < begin + np.timedelta64(plant.duration))
            if plant.carrier is not None:
                inside &= carrier == plant.carrier
            hit = inside & (rng.random(n) < plant.rate)
            code[hit] = plant.code
        code[rng.random(n) < no_report] = None
        frames.append(
            pl.DataFrame(
                {
                    "message_id": [f"m{seed}-{s_index}-{i}" for i in range(n)],
                    "provider": stream.provider,
                    "channel": stream.channel,
                    "sent_at": sent_at.astype("datetime64[us]"),
                    "sender": _choice(rng, SENDERS, n),
                    "recipient": [f"+1415{x:07d}" for x in rng.integers(0, 10**7, size=n)],
                    "country": _choice(rng, COUNTRIES, n),
                    "carrier": carrier,
                    "campaign": _choice(rng, CAMPAIGNS, n),
                    "segments": rng.integers(1, 3, size=n),
                    "code": pl.Series(code.tolist(), dtype=pl.String),
                }
            )
        )
    return pl.concat(frames).sort("sent_at")


def write_logs(frame: pl.DataFrame, directory: Path, name: str = "synth") -> list[Path]:
    """The canonical send log and delivery log of FRAME (events a few seconds after send)."""
    directory.mkdir(parents=True, exist_ok=True)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    sends = frame.select(
        "message_id",
        "provider",
        "channel",
        pl.col("sent_at").dt.strftime(iso),
        "sender",
        "recipient",
        "country",
        "carrier",
        "campaign",
        "segments",
    )
    events = frame.filter(pl.col("code").is_not_null()).select(
        "message_id",
        "provider",
        "channel",
        (pl.col("sent_at") + pl.duration(seconds=7)).dt.strftime(iso).alias("event_at"),
        pl.col("code").alias("status_code"),
        pl.lit("synthetic").alias("status_text"),
        "carrier",
    )
    paths = [directory / f"{name}_sends.csv", directory / f"{name}_events.csv"]
    sends.write_csv(paths[0])
    events.write_csv(paths[1])
    return paths


def catalog_extra(directory: Path) -> Path:
    path = directory / "synth_catalog.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CATALOG_EXTRA, encoding="utf-8")
    return path
