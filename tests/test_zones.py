"""The display time zone: days and weeks cut at the zone's midnights, whichever stored counts
answer (the hourly rollup for whole-hour zones, the messages otherwise), windows given as the
zone's dates, and one line for a zone nobody knows.

Every expected count is computed here from the generated messages with polars' own time zone
conversion, not from the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from deliverability.queries import Filters
from deliverability.queries.compare import comparison_windows
from deliverability.queries.cube import message_cube
from deliverability.queries.messages import messages_in_selection, time_range
from deliverability.queries.zones import check_zone, on_whole_hours, to_local, to_utc
from deliverability.store import Store
from tests import synth
from tests.conftest import cli_json, run_cli
from tests.test_spikes import build_store

# Two weeks around New York's spring clock change (2024-03-10), Monday to Monday.
START = datetime(2024, 3, 4)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[pl.DataFrame, Path, Path]:
    """(the generated messages, their store, its catalog extra)."""
    frame = synth.messages(seed=11, days=14, streams=(synth.Stream(per_hour=20),), start=START)
    db, extra = build_store(tmp_path_factory.mktemp("zones"), frame)
    return frame, db, extra


@pytest.fixture
def generated(stored) -> Iterator[tuple[pl.DataFrame, duckdb.DuckDBPyConnection]]:
    frame, db, extra = stored
    con = Store.open_reader(db, catalog_extra=extra)
    yield frame, con
    con.close()


def expected(frame: pl.DataFrame, zone: str, every: str, by: tuple[str, ...]) -> pl.DataFrame:
    local = pl.col("sent_at").dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    return (
        frame.with_columns(
            local.dt.truncate(every).dt.replace_time_zone(None).alias("period_start")
        )
        .group_by("period_start", *by)
        .agg(pl.len().cast(pl.Int64).alias("messages"))
        .sort("period_start", *by)
    )


EVERY = {"hour": "1h", "day": "1d", "week": "1w"}


@pytest.mark.parametrize(
    ("zone", "grain", "by"),
    [
        ("UTC", "day", ()),  # the hourly rollup
        ("UTC", "day", ("carrier",)),  # the daily rollup
        ("America/New_York", "day", ()),  # the hourly rollup, re-bucketed
        ("America/New_York", "week", ()),
        ("America/New_York", "hour", ()),
        ("America/New_York", "day", ("carrier",)),  # the messages: days are not UTC days
        ("Asia/Kolkata", "day", ()),  # the messages: +05:30 splits the rollup's hours
        ("Asia/Kolkata", "week", ("carrier",)),
        ("Asia/Kathmandu", "hour", ()),
    ],
)
def test_buckets_start_at_the_zones_midnight(generated, zone, grain, by):
    frame, con = generated
    cube = message_cube(con, Filters(zone=zone), grain=grain, dims=by)
    got = cube.group_by("period_start", *by).agg(pl.col("messages").sum()).sort("period_start", *by)
    assert_frame_equal(got, expected(frame, zone, EVERY[grain], by))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_a_window_of_dates_is_read_in_the_zone(generated, zone):
    frame, con = generated
    filters = Filters.build(since=date(2024, 3, 6), until="2024-03-12", zone=zone)
    cube = message_cube(con, filters, grain="day", dims=())
    days = expected(frame, zone, "1d", ())
    inside = days.filter(
        (pl.col("period_start") >= datetime(2024, 3, 6))
        & (pl.col("period_start") < datetime(2024, 3, 12))
    )
    assert cube["period_start"].to_list() == inside["period_start"].to_list()
    assert cube["messages"].sum() == inside["messages"].sum()


def test_listed_messages_and_the_time_range_are_in_the_zone(generated):
    frame, con = generated
    filters = Filters.build(since="2024-03-10", until="2024-03-11", zone="America/New_York")
    listed = messages_in_selection(con, filters, limit=None)
    newest = frame.filter(pl.col("sent_at") < to_utc(datetime(2024, 3, 11), "America/New_York"))[
        "sent_at"
    ].max()
    assert listed["message_at"].max() == to_local(newest, "America/New_York")
    assert listed["message_at"].min() >= datetime(2024, 3, 10)
    span = time_range(con, "Asia/Kolkata")
    assert span["first_at"] == to_local(frame["sent_at"].min(), "Asia/Kolkata")


def test_the_fallback_comparison_is_the_zones_last_seven_days():
    filters = Filters.build(since="2024-03-11", until="2024-03-18", zone="America/New_York")
    # The data ends at 2024-03-17 02:00 UTC: still the 16th in New York.
    week, before = comparison_windows(filters, False, datetime(2024, 3, 17, 2))
    assert (week.local_since, week.local_until) == (datetime(2024, 3, 10), datetime(2024, 3, 17))
    assert (before.local_since, before.local_until) == (
        datetime(2024, 2, 11),
        datetime(2024, 3, 10),
    )
    assert week.since == datetime(2024, 3, 10, 5)  # EST, before the clocks went forward


def test_zone_helpers():
    assert check_zone(None) == check_zone("utc") == "UTC"
    assert on_whole_hours("America/New_York") and on_whole_hours("UTC")
    assert not on_whole_hours("Asia/Kolkata")
    assert to_utc(datetime(2024, 7, 1), "Europe/Berlin") == datetime(2024, 6, 30, 22)
    assert to_local(datetime(2024, 6, 30, 22), "Europe/Berlin") == datetime(2024, 7, 1)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Filters.build(zone="Mars/Olympus")


def test_cli_days_in_the_display_zone_and_a_bad_zone_in_one_line(stored):
    frame, db, extra = stored
    store = ("--db", str(db), "--catalog-extra", str(extra))
    out = cli_json(
        "report", *store, "--by", "day", "--display-tz", "Asia/Kolkata",
        "--since", "2024-03-05", "--until", "2024-03-07",
    )  # fmt: skip
    days = expected(frame, "Asia/Kolkata", "1d", ()).filter(
        pl.col("period_start").is_between(datetime(2024, 3, 5), datetime(2024, 3, 6))
    )
    assert [r["messages"] for r in out["rows"]] == days["messages"].to_list()
    assert [r["day"][:10] for r in out["rows"]] == ["2024-03-05", "2024-03-06"]
    bad = run_cli("report", *store, "--display-tz", "Mars/Olympus", check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "deliverability: unknown time zone 'Mars/Olympus': use an IANA name such as "
        "Europe/Berlin or America/New_York"
    ]
