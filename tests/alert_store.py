"""A store with two planted spikes for the alert tests, built through the real ingest path.

Fifteen days from Monday 2024-01-01 of two streams at ~150 messages an hour (synth.py's
daily and weekly cycles, failure codes at their usual rates): Azure SMS and Twilio SMS.
Planted on the last day:

* Azure's 7101 (a carrier filter) at 10:00, 60% of Verizon's messages, all of them from one
  sender (a phone number, +14155550199) in a campaign whose name is hostile markup;
* Twilio's 7102 at 14:00, 50% of T-Mobile's messages.

Most of the Azure spike's delivery reports are held back in a later file (LATE), so the
spike grows when it is ingested: an update. The catalog (CATALOG, an extra file) gives every
code a meaning, advice (7101's with hostile markup of its own) and a provider page.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from deliverability.ingest import ingest_file
from deliverability.readers.base import ReadOptions
from deliverability.store import Store
from tests import synth

AZURE_AT = datetime(2024, 1, 15, 10)
TWILIO_AT = datetime(2024, 1, 15, 14)
HOSTILE_CAMPAIGN = "<https://evil.example|click> *promo* <!channel> [x](https://evil.example)"
SPIKE_SENDER = "+14155550199"
HOSTILE_ADVICE = "Register the sender <https://evil.example|here> *now* & retry"
LINK = "https://docs.example.com/azure/7101"
# Share of the Azure spike's planted failures whose reports arrive late (file LATE).
HELD_BACK = 0.6

CATALOG = """provider,channel,code,variant,name,description,advice,outcome,category,final,retryable,source
azure_acs,sms,7000,0,Delivered,,,delivered,delivered,true,false,
azure_acs,sms,7101,0,Carrier filter,The carrier's filter blocked the message.,"{advice}",failed,carrier_filtered,true,false,{link}
azure_acs,sms,7102,0,Invalid number,The number does not exist.,,failed,invalid_number,true,false,
azure_acs,sms,7103,0,Unreachable,The handset could not be reached.,,failed,unreachable,true,true,
azure_acs,sms,7104,0,Opted out,The recipient opted out.,,failed,opted_out,true,false,
azure_acs,sms,7105,0,Rate limited,Too many messages.,,failed,rate_limited,true,true,
twilio,sms,7000,0,Delivered,,,delivered,delivered,true,false,
twilio,sms,7101,0,Carrier filter,Filtered by the carrier.,,failed,carrier_filtered,true,false,
twilio,sms,7102,0,Unknown destination,The destination handset is unknown.,,failed,invalid_number,true,false,https://docs.example.com/twilio/7102
twilio,sms,7103,0,Unreachable,Unreachable handset.,,failed,unreachable,true,true,
twilio,sms,7104,0,Opted out,Opted out.,,failed,opted_out,true,false,
""".format(advice=HOSTILE_ADVICE.replace('"', '""'), link=LINK)

STREAMS = (
    synth.Stream(provider="azure_acs", per_hour=150),
    synth.Stream(
        provider="twilio",
        per_hour=150,
        rates={"7101": 0.01, "7102": 0.015, "7103": 0.004, "7104": 0.002},
    ),
)
PLANTS = (
    synth.Plant(AZURE_AT, "7101", 0.6, provider="azure_acs", carrier="Verizon"),
    synth.Plant(TWILIO_AT, "7102", 0.5, provider="twilio", carrier="T-Mobile"),
)


def frame() -> pl.DataFrame:
    """Every message, with the Azure spike's failures from one sender and hostile campaign."""
    messages = synth.messages(seed=23, days=15, streams=STREAMS, plants=PLANTS)
    in_spike = (
        (pl.col("provider") == "azure_acs")
        & (pl.col("code") == "7101")
        & (pl.col("carrier") == "Verizon")
        & pl.col("sent_at").is_between(AZURE_AT, AZURE_AT + timedelta(hours=1), closed="left")
    )
    return messages.with_columns(
        pl.when(in_spike).then(pl.lit(HOSTILE_CAMPAIGN)).otherwise("campaign").alias("campaign"),
        pl.when(in_spike).then(pl.lit(SPIKE_SENDER)).otherwise("sender").alias("sender"),
        (in_spike & (pl.int_range(pl.len()) % 10 < HELD_BACK * 10)).alias("late"),
    )


def write(directory: Path) -> tuple[list[Path], Path, Path]:
    """(the logs of the first ingest, the late reports, the catalog file)."""
    directory.mkdir(parents=True, exist_ok=True)
    messages = frame()
    early = messages.with_columns(
        pl.when(pl.col("late")).then(None).otherwise(pl.col("code")).alias("code")
    ).drop("late")
    logs = synth.write_logs(early, directory / "logs")
    late = messages.filter(pl.col("late")).select(
        "message_id",
        "provider",
        "channel",
        (pl.col("sent_at") + pl.duration(minutes=40))
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        .alias("event_at"),
        pl.col("code").alias("status_code"),
        pl.lit("late report").alias("status_text"),
        "carrier",
    )
    late_path = directory / "late" / "late_events.csv"
    late_path.parent.mkdir(exist_ok=True)
    late.write_csv(late_path)
    catalog = directory / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    return logs, late_path, catalog


def build(directory: Path) -> tuple[Path, Path, Path]:
    """(the store, the late reports file, the catalog file) under DIRECTORY."""
    logs, late, catalog = write(directory)
    db = directory / "store.duckdb"
    store = Store.open(db, catalog_extra=catalog)
    try:
        for path in logs:
            result = ingest_file(store, path, ReadOptions())
            assert result.ok and result.rejected == 0, result.errors
    finally:
        store.close()
    return db, late, catalog


@dataclass
class Planted:
    """A test's own copy of the built store, with the late file and the catalog extra."""

    db: Path
    late: Path
    catalog: Path


def planted_copy(built: tuple[Path, Path, Path], directory: Path) -> Planted:
    """BUILT's store copied into DIRECTORY: each test alerts on a store of its own."""
    db, late, catalog = built
    copy = directory / "store.duckdb"
    shutil.copy(db, copy)
    return Planted(copy, late, catalog)
