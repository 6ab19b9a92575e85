"""Spike detection on generated logs ingested through the real ingest path.

The planted store: four weeks from Monday 2024-01-01 of two streams,
  azure_acs/sms ~300 messages/hour (daily and weekly cycles), five failure codes at
  0.1%..2%, and code 7105 failing 15% more often every night 00:00-06:00 (a daily cycle);
  telnyx/sms ~150/hour, four failure codes, and Verizon vanishing on 2024-01-13.
Planted on top: five one-hour spikes (two of codes never seen before) and two one-day spikes,
each at one carrier. Bound held on pure noise: at fdr=0.01 BH keeps the chance of any false
spike in a run <= 1% (all nulls true); we assert at most one false spike over every seed and
grain below (~3,500 tested cells), and that p-values are calibrated (<= 1.5% below 0.01).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from deliverability.queries.filters import Filters
from deliverability.queries.spikes import (
    SPIKE_COLUMNS,
    SpikeSettings,
    code_series,
    find_spikes,
    spike_tests,
)
from deliverability.store import Store
from tests import synth
from tests.conftest import ingest

T = datetime.fromisoformat
DAY = timedelta(days=1)
HOUR_PLANTS = {
    # (bucket, provider, code): (plant, carrier that carries it)
    (T("2024-01-15T14:00"), "azure_acs", "7101"): ("7101", 0.25, "Verizon"),
    (T("2024-01-20T03:00"), "azure_acs", "7103"): ("7103", 0.5, "AT&T"),  # Saturday night
    (T("2024-01-25T10:00"), "telnyx", "7102"): ("7102", 0.4, "T-Mobile"),
    (T("2024-01-17T16:00"), "azure_acs", "7106"): ("7106", 0.15, "T-Mobile"),  # new code
    (T("2024-01-23T12:00"), "telnyx", "7999"): ("7999", 0.2, "AT&T"),  # new, uncatalogued
}
DAY_PLANTS = {
    (T("2024-01-22"), "azure_acs", "7104"): ("7104", 0.02, "AT&T"),
    (T("2024-01-26"), "telnyx", "7103"): ("7103", 0.03, "T-Mobile"),
}
TELNYX_RATES = {"7101": 0.01, "7102": 0.015, "7103": 0.004, "7104": 0.002}


def _plants() -> tuple[synth.Plant, ...]:
    plants = []
    for plan, duration in ((HOUR_PLANTS, timedelta(hours=1)), (DAY_PLANTS, DAY)):
        for (start, provider, _), (code, rate, carrier) in plan.items():
            plants.append(synth.Plant(start, code, rate, duration, provider, "sms", carrier))
    return tuple(plants)


def build_store(directory: Path, frame: pl.DataFrame) -> tuple[Path, Path]:
    """Ingest FRAME's canonical logs into a new store; (store path, catalog extra path)."""
    extra = synth.catalog_extra(directory)
    db = directory / "store.duckdb"
    store = Store.open(db, catalog_extra=extra)
    try:
        for path in synth.write_logs(frame, directory):
            result = ingest(store, path)
            assert result.rejected == 0 and not result.errors
    finally:
        store.close()
    return db, extra


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, Path]:
    streams = (
        synth.Stream(night={"7105": 0.15}),
        synth.Stream(
            provider="telnyx",
            per_hour=150,
            rates=TELNYX_RATES,
            carrier_gone=("Verizon", T("2024-01-13")),
        ),
    )
    frame = synth.messages(seed=7, days=28, streams=streams, plants=_plants())
    return build_store(tmp_path_factory.mktemp("planted"), frame)


@pytest.fixture
def con(planted):
    db, extra = planted
    store = Store.open(db, catalog_extra=extra)
    yield store.con
    store.close()


def unexplained(found: set[tuple]) -> set[tuple]:
    """Hour spikes that are neither an hour plant nor an hour of a day-long plant."""
    return {
        k
        for k in found
        if k not in HOUR_PLANTS and (k[0].replace(hour=0), *k[1:]) not in DAY_PLANTS
    }


def keys(frame: pl.DataFrame) -> set[tuple]:
    return set(zip(frame["period_start"], frame["provider"], frame["code"], strict=True))


def top_carrier(row: dict) -> str | None:
    """The first contributor, when it is a carrier."""
    first = row["top_contributors"][0] if row["top_contributors"] else {}
    return first.get("value") if first.get("dimension") == "carrier" else None


@pytest.mark.parametrize(
    ("grain", "plants"), [("hour", HOUR_PLANTS), ("day", DAY_PLANTS)], ids=["hour", "day"]
)
def test_planted_spikes_found_at_their_bucket_with_their_carrier(con, grain, plants):
    spikes = find_spikes(con, Filters(), SpikeSettings(grain=grain))
    assert spikes.columns == list(SPIKE_COLUMNS)
    by_key = {(r["period_start"], r["provider"], r["code"]): r for r in spikes.to_dicts()}
    recall = [k for k in plants if k in by_key]
    assert recall == list(plants), f"missed {set(plants) - set(recall)}"
    for key, (_, _, carrier) in plants.items():
        assert top_carrier(by_key[key]) == carrier, by_key[key]["top_contributors"]
        assert by_key[key]["grain"] == grain
    assert spikes["p_value"].is_sorted()
    if grain == "hour":
        # Nothing else but hours inside the day-long plants: no false spike, and the
        # nightly 7105 cycle is read as normal.
        assert not unexplained(keys(spikes))
    else:
        # At the day grain a new code is still new: the hour plants of new codes show too.
        new_code_days = {(t.replace(hour=0), p, c) for t, p, c in HOUR_PLANTS if c >= "7106"}
        assert keys(spikes) == set(plants) | new_code_days


def test_spike_fields_and_contributors(con):
    spikes = find_spikes(con, Filters(), SpikeSettings())
    row = spikes.filter(pl.col("code") == "7101").row(0, named=True)
    assert (row["provider"], row["channel"], row["category"]) == (
        "azure_acs",
        "sms",
        "carrier_filtered",
    )
    assert row["name"] == "Synthetic carrier filter"
    assert row["rate"] == pytest.approx(row["count"] / row["messages"])
    assert row["ratio"] == pytest.approx(row["rate"] / row["baseline_rate"])
    assert row["ratio"] >= 2 and row["count"] >= 10 and row["q_value"] <= 0.01
    assert 0.005 < row["baseline_rate"] < 0.025  # the 1.2% base rate, estimated
    contributors = row["top_contributors"]
    assert {c["dimension"] for c in contributors} <= {"carrier", "country", "campaign", "sender"}
    assert all(list(c) == ["dimension", "value", "count", "excess"] for c in contributors)
    carrier = contributors[0]  # the most concentrated part of the excess comes first
    assert (carrier["dimension"], carrier["value"]) == ("carrier", "Verizon")
    # Verizon carries nearly all of the excess over baseline, and the other carriers none.
    total_excess = row["count"] - row["messages"] * row["baseline_rate"]
    assert carrier["excess"] > 0.8 * total_excess
    assert [c["value"] for c in contributors if c["dimension"] == "carrier"] == ["Verizon"]


def test_new_code_alerts_without_a_ratio(con):
    spikes = find_spikes(con, Filters(), SpikeSettings())
    new = spikes.filter(pl.col("code").is_in(["7106", "7999"]))
    assert new.height == 2
    assert new["baseline_rate"].to_list() == [0.0, 0.0]
    assert new["ratio"].to_list() == [None, None]
    assert (new["count"] >= 10).all()
    uncatalogued = new.filter(pl.col("code") == "7999").row(0, named=True)
    assert uncatalogued["category"] == "uncatalogued" and uncatalogued["name"] is None


def test_seasonal_baseline_absorbs_a_daily_cycle(con):
    """7105 fails 15% more every night; against the whole day's rate the nights look like
    spikes, against the same hour of previous days they do not."""
    flat = find_spikes(con, Filters(), SpikeSettings(seasonal=False))
    nightly = flat.filter(pl.col("code") == "7105")
    assert nightly.height >= 10
    assert set(nightly["period_start"].dt.hour()) <= set(range(6))
    seasonal = spike_tests(con, Filters(), SpikeSettings())
    night_cells = seasonal.filter(pl.col("code") == "7105", pl.col("period_start").dt.hour() < 6)
    assert night_cells["seasonal"].all()
    assert not night_cells["is_spike"].any()


def test_carrier_that_disappears_does_not_break_the_baseline(con):
    after = Filters.build(since="2024-01-13", provider="telnyx")
    tested = spike_tests(con, after, SpikeSettings())
    assert tested.height > 100  # telnyx is still tested after Verizon left
    spikes = find_spikes(con, after, SpikeSettings())
    assert keys(spikes) == {k for k in HOUR_PLANTS if k[1] == "telnyx"}
    for row in spikes.to_dicts():
        assert "Verizon" not in {c["value"] for c in row["top_contributors"]}
    verizon = Filters.build(since="2024-01-08", provider="telnyx", carrier="Verizon")
    assert find_spikes(con, verizon, SpikeSettings()).is_empty()


def test_window_and_filters(con):
    # Data before `since` is baseline: the 03:00 spike on the window's first day is found.
    window = Filters.build(since="2024-01-20", until="2024-01-24")
    found = keys(find_spikes(con, window, SpikeSettings()))
    assert {k for k in found if k in HOUR_PLANTS} == {
        k for k in HOUR_PLANTS if T("2024-01-20") <= k[0] < T("2024-01-24")
    }
    assert all(T("2024-01-20") <= k[0] < T("2024-01-24") for k in found)
    assert not unexplained(found)
    only_code = find_spikes(con, Filters.build(code="7101"), SpikeSettings())
    assert set(only_code["code"]) == {"7101"}
    only_category = find_spikes(con, Filters.build(category="invalid_number"), SpikeSettings())
    assert set(only_category["code"]) == {"7102"}
    assert find_spikes(con, Filters.build(provider="sinch"), SpikeSettings()).is_empty()
    strict = find_spikes(con, Filters(), SpikeSettings(min_count=40))
    assert (strict["count"] >= 40).all() and strict.height < len(HOUR_PLANTS)


def test_code_series_band_and_spike_flag(con):
    settings = SpikeSettings()
    window = Filters.build(since="2024-01-15", until="2024-01-16")
    series = code_series(con, window, "azure_acs", "sms", "7101", settings)
    assert series.columns == [
        "period_start",
        "count",
        "messages",
        "rate",
        "baseline_rate",
        "baseline_low",
        "baseline_high",
        "is_spike",
    ]
    assert series.height == 24
    spike = series.filter(pl.col("is_spike"))
    assert spike["period_start"].to_list() == [T("2024-01-15T14:00")]
    assert spike["rate"][0] > spike["baseline_high"][0]
    quiet = series.filter(~pl.col("is_spike"))
    assert (quiet["baseline_low"] <= quiet["baseline_rate"]).all()
    assert (quiet["baseline_rate"] <= quiet["baseline_high"]).all()
    inside = (quiet["rate"] >= quiet["baseline_low"]) & (quiet["rate"] <= quiet["baseline_high"])
    assert inside.sum() >= 21  # the 99% band holds the ordinary hours
    delivered = code_series(con, window, "azure_acs", "sms", "7000", settings)
    assert delivered.height == 24 and not delivered["is_spike"].any()  # shown, never tested


def _noise(seed: int, days: int = 21) -> pl.DataFrame:
    """Three weeks of one provider at ~300 messages/hour, codes at fixed rates."""
    return synth.messages(seed=seed, days=days, streams=(synth.Stream(),))


@pytest.mark.slow
def test_pure_noise_raises_few_false_spikes(tmp_path):
    tested = false_spikes = small_p = 0
    for seed in (101, 202, 303):
        db, extra = build_store(tmp_path / f"seed{seed}", _noise(seed))
        store = Store.open(db, catalog_extra=extra)
        try:
            for grain in ("hour", "day"):
                cells = spike_tests(store.con, Filters(), SpikeSettings(grain=grain))
                tested += cells.height
                small_p += int((cells["p_value"] < 0.01).sum())
                false_spikes += find_spikes(store.con, Filters(), SpikeSettings(grain=grain)).height
        finally:
            store.close()
    assert tested > 3000
    assert false_spikes <= 1, f"{false_spikes} false spikes in {tested} cells"
    assert small_p <= 0.015 * tested  # the exact test is calibrated (conservative)


def test_tiny_volumes_do_not_alert(tmp_path):
    """A handful of messages an hour: even a tripled rate is not an alert."""
    stream = synth.Stream(per_hour=4)
    plant = synth.Plant(T("2024-01-15"), "7101", 0.05, DAY)
    frame = synth.messages(seed=5, days=21, streams=(stream,), plants=(plant,))
    db, extra = build_store(tmp_path, frame)
    store = Store.open(db, catalog_extra=extra)
    try:
        for grain in ("hour", "day"):
            assert find_spikes(store.con, Filters(), SpikeSettings(grain=grain)).is_empty()
        assert spike_tests(store.con, Filters(), SpikeSettings(grain="day")).height > 0
    finally:
        store.close()


def test_empty_store_has_no_spikes(tmp_path):
    store = Store.open(tmp_path / "empty.duckdb")
    try:
        assert find_spikes(store.con, Filters(), SpikeSettings()).is_empty()
        assert spike_tests(store.con).is_empty()
        assert code_series(store.con, None, "azure_acs", "sms", "4000").is_empty()
    finally:
        store.close()


def test_settings_are_validated():
    with pytest.raises(ValueError):
        SpikeSettings(grain="week")
    with pytest.raises(ValueError):
        SpikeSettings(baseline_days=3)


def test_logs_without_a_channel_still_give_spikes_and_contributors(tmp_path):
    """No channel column and no --channel: the spike and its contributors still come out."""
    from datetime import datetime, timedelta

    from deliverability.ingest import ingest_file
    from deliverability.queries import Filters
    from deliverability.queries.spikes import SpikeSettings, find_spikes
    from deliverability.store import Store

    lines = ["message_id,provider,sent_at,event_at,status_code,carrier"]
    start = datetime(2026, 10, 1)
    for day in range(30):
        for i in range(200):
            at = start + timedelta(days=day, minutes=5 * i)
            spiking = day == 29 and i < 60
            code = "4000" if spiking or i == 0 else "2000"
            carrier = "Verizon" if spiking else ("AT&T" if i % 2 else "T-Mobile")
            lines.append(
                f"d{day}-{i},azure_acs,{at:%Y-%m-%dT%H:%M:%SZ},{at:%Y-%m-%dT%H:%M:%SZ},{code},{carrier}"
            )
    path = tmp_path / "no_channel.csv"
    path.write_text("\n".join(lines) + "\n")
    store = Store.open(tmp_path / "s.duckdb")
    try:
        assert ingest_file(store, path).ok
        found = find_spikes(store.cursor(), Filters(), SpikeSettings(grain="day"))
    finally:
        store.close()
    assert found.height == 1
    spike = found.row(0, named=True)
    assert spike["channel"] is None and spike["code"] == "4000" and spike["count"] == 60
    assert spike["top_contributors"][0]["value"] == "Verizon"
