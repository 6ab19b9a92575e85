"""The analytics layer on a small hand-built store: every number checked by hand.

Previous week (2024-03-04 .. 03-11), all campaign "spring":
  AT&T     100 messages: 90 delivered (7000), 10 failed 7101 (carrier_filtered)
  Verizon   50 messages: 49 delivered, 1 failed 7102 (invalid_number)
Current week (2024-03-11 .. 03-18), all campaign "summer":
  AT&T     120 messages: 96 delivered, 20 failed 7101, 4 failed 7102
  Verizon   50 messages: 40 delivered, 10 without any delivery report (no_report)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import erfc, sqrt

import polars as pl
import pytest

from deliverability.queries import cube as cube_module
from deliverability.queries.compare import compare_periods, headline, previous_period
from deliverability.queries.cube import message_cube, reusing_cubes
from deliverability.queries.failures import failure_breakdown, failure_heatmap
from deliverability.queries.filters import Filters
from deliverability.queries.timeseries import outcomes_over_time
from deliverability.store import Store
from tests import synth
from tests.conftest import ingest, write

CURRENT = Filters.build(since="2024-03-11", until="2024-03-18")
PREVIOUS = Filters.build(since="2024-03-04", until="2024-03-11")

PLAN = [
    # (week start, carrier, campaign, [(code or None, how many)])
    ("2024-03-04", "AT&T", "spring", [("7000", 90), ("7101", 10)]),
    ("2024-03-04", "Verizon", "spring", [("7000", 49), ("7102", 1)]),
    ("2024-03-11", "AT&T", "summer", [("7000", 96), ("7101", 20), ("7102", 4)]),
    ("2024-03-11", "Verizon", "summer", [("7000", 40), (None, 10)]),
]


def z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """The pooled two-proportion z-test, by hand."""
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return z, erfc(abs(z) / sqrt(2))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics")
    sends = ["message_id,provider,channel,sent_at,sender,recipient,country,carrier,campaign"]
    events = ["message_id,provider,channel,event_at,status_code,status_text,carrier"]
    n = 0
    for week, carrier, campaign, codes in PLAN:
        start = datetime.fromisoformat(week)
        for code, count in codes:
            for _ in range(count):
                n += 1
                at = start + timedelta(minutes=97 * n % (7 * 24 * 60))
                sends.append(
                    f"h{n},azure_acs,sms,{at:%Y-%m-%dT%H:%M:%SZ},+18005550100,"
                    f"+1415555{n:04d},US,{carrier},{campaign}"
                )
                if code:
                    events.append(
                        f"h{n},azure_acs,sms,{at + timedelta(seconds=5):%Y-%m-%dT%H:%M:%SZ},"
                        f"{code},x,{carrier}"
                    )
    store = Store.open(tmp / "store.duckdb", catalog_extra=synth.catalog_extra(tmp))
    ingest(store, write(tmp / "sends.csv", "\n".join(sends) + "\n"))
    ingest(store, write(tmp / "events.csv", "\n".join(events) + "\n"))
    yield store.con
    store.close()


def rows_by(frame: pl.DataFrame, key: str) -> dict:
    return {r[key]: r for r in frame.to_dicts()}


def test_previous_period_is_the_same_length_right_before():
    assert previous_period(CURRENT) == PREVIOUS
    narrowed = CURRENT.with_(carrier=("AT&T",))
    assert previous_period(narrowed).carrier == ("AT&T",)
    with pytest.raises(ValueError):
        previous_period(Filters())


def test_cube_counts_by_week_and_carrier(con):
    cube = message_cube(con, Filters(), grain="week", dims=("carrier",))
    got = {(r["period_start"].date().isoformat(), r["carrier"]): r for r in cube.to_dicts()}
    assert {k: v["messages"] for k, v in got.items()} == {
        ("2024-03-04", "AT&T"): 100,
        ("2024-03-04", "Verizon"): 50,
        ("2024-03-11", "AT&T"): 120,
        ("2024-03-11", "Verizon"): 50,
    }
    assert got[("2024-03-11", "Verizon")]["no_report"] == 10
    assert got[("2024-03-11", "AT&T")]["failed"] == 24
    outcomes = ("delivered", "failed", "pending", "unconfirmed", "no_report", "unknown")
    assert cube.select(pl.sum_horizontal(outcomes)).to_series().equals(cube["messages"])
    whole = message_cube(con, Filters(), grain=None, dims=())
    assert whole["messages"].to_list() == [320]
    assert whole["period_start"].to_list() == [None]


@pytest.fixture
def cube_queries(monkeypatch) -> list[str]:
    """The queries message_cube runs from here on (the real ones, listed as they run)."""
    ran: list[str] = []
    real_run = cube_module.run

    def listed(con, name, *args, **kwargs):
        ran.append(name)
        return real_run(con, name, *args, **kwargs)

    monkeypatch.setattr(cube_module, "run", listed)
    return ran


@pytest.mark.parametrize(
    "dims",
    [
        (),
        ("carrier",),
        ("code",),
        ("campaign", "code"),
        ("country", "carrier"),
        ("provider", "channel", "code", "category", "outcome"),
        ("outcome",),
        ("provider", "carrier"),
    ],
)
def test_reused_cubes_are_the_cubes_counted_afresh(con, dims, cube_queries):
    # Inside reusing_cubes, a cube is summed from a counted cube of the same filters and grain
    # that has its columns: no query.
    for filters in (CURRENT, PREVIOUS, Filters(), CURRENT.with_(carrier=("AT&T",))):
        fresh = message_cube(con, filters, grain=None, dims=dims)
        with reusing_cubes():
            message_cube(con, filters, grain=None, dims=("code", "carrier", "country", "campaign"))
            before = len(cube_queries)
            reused = message_cube(con, filters, grain=None, dims=dims)
            assert message_cube(con, filters, grain=None, dims=dims) is reused
            assert len(cube_queries) == before, (filters, dims)
        assert fresh.height > 0
        assert reused.equals(fresh), (filters, dims)


@pytest.mark.parametrize("grain", ["day", "week", "hour"])
def test_cubes_with_a_grain_are_summed_from_a_wider_cube_of_that_grain(con, grain, cube_queries):
    # The review's daily outcomes come from its spike cells' cube by code and day.
    for dims in [(), ("outcome",), ("provider", "carrier"), ("category",)]:
        wide = ("code",) if "carrier" not in dims else ("code", "carrier")
        fresh = {
            (f.since, g): message_cube(con, f, grain=g, dims=dims)
            for f, g in ((CURRENT, grain), (CURRENT, None), (PREVIOUS, grain))
        }
        with reusing_cubes():
            message_cube(con, CURRENT, grain=grain, dims=wide)
            before = len(cube_queries)
            reused = message_cube(con, CURRENT, grain=grain, dims=dims)
            assert len(cube_queries) == before  # summed, not counted
            # Another grain or other filters are counted afresh, and right.
            other_grain = message_cube(con, CURRENT, grain=None, dims=dims)
            other_filters = message_cube(con, PREVIOUS, grain=grain, dims=dims)
            assert len(cube_queries) == before + 2
        assert fresh[(CURRENT.since, grain)].height > 0
        assert reused.equals(fresh[(CURRENT.since, grain)]), (grain, dims)
        assert other_grain.equals(fresh[(CURRENT.since, None)]), (grain, dims)
        assert other_filters.equals(fresh[(PREVIOUS.since, grain)]), (grain, dims)


def test_compare_by_carrier_hand_computed(con):
    frame = compare_periods(con, ["carrier"], CURRENT, PREVIOUS)
    assert frame["carrier"].to_list() == ["AT&T", "Verizon"]  # worst first
    att, vz = rows_by(frame, "carrier")["AT&T"], rows_by(frame, "carrier")["Verizon"]
    assert (att["messages_current"], att["messages_previous"]) == (120, 100)
    assert (att["failed_current"], att["failed_previous"]) == (24, 10)
    assert (att["delivered_current"], att["delivered_previous"]) == (96, 90)
    assert att["rate_current"] == pytest.approx(0.2)
    assert att["rate_previous"] == pytest.approx(0.1)
    assert att["delta_pp"] == pytest.approx(10.0)
    z, p = z_test(24, 120, 10, 100)
    assert att["z"] == pytest.approx(z) and z == pytest.approx(2.04318, abs=1e-5)
    assert att["p_value"] == pytest.approx(p) and p == pytest.approx(0.041035, abs=1e-6)
    assert att["significant"] and att["direction"] == "worse"
    assert (vz["messages_current"], vz["failed_current"], vz["failed_previous"]) == (50, 0, 1)
    assert vz["delta_pp"] == pytest.approx(-2.0)
    z, p = z_test(0, 50, 1, 50)
    assert vz["z"] == pytest.approx(z) and z == pytest.approx(-1.00504, abs=1e-5)
    assert not vz["significant"] and vz["direction"] == "same"


def test_compare_by_code_uses_the_provider_channel_as_denominator(con):
    frame = compare_periods(con, ["code"], CURRENT, PREVIOUS)
    assert frame.columns[:5] == ["provider", "channel", "code", "category", "name"]
    rows = rows_by(frame, "code")
    # Messages without a report have no code: their row says no_report, 0 failed.
    assert frame["code"].to_list() == ["7101", "7102", "7000", None]
    assert frame["category"][3] == "no_report" and frame["failed_current"][3] == 0
    c7101 = rows["7101"]
    assert (c7101["messages_current"], c7101["messages_previous"]) == (170, 150)
    assert (c7101["failed_current"], c7101["failed_previous"]) == (20, 10)
    assert c7101["rate_current"] == pytest.approx(20 / 170)
    assert c7101["z"] == pytest.approx(z_test(20, 170, 10, 150)[0])
    assert c7101["name"] == "Synthetic carrier filter"
    assert rows["7102"]["rate_previous"] == pytest.approx(1 / 150)
    delivered = rows["7000"]
    assert (delivered["delivered_current"], delivered["delivered_previous"]) == (136, 139)
    assert delivered["rate_current"] == 0.0 and delivered["z"] == 0.0
    assert delivered["direction"] == "same"


def test_compare_delivery_rate_and_disjoint_values(con):
    frame = compare_periods(con, [], CURRENT, PREVIOUS, metric="delivery_rate")
    row = frame.row(0, named=True)
    assert row["rate_current"] == pytest.approx(136 / 170)
    assert row["rate_previous"] == pytest.approx(139 / 150)
    assert row["z"] == pytest.approx(z_test(136, 170, 139, 150)[0])
    assert row["direction"] == "worse"  # a lower delivery rate is worse
    # Campaigns that exist in one period only cannot be tested: null z, never significant.
    camp = rows_by(compare_periods(con, ["campaign"], CURRENT, PREVIOUS), "campaign")
    assert camp["spring"]["messages_current"] == 0 and camp["spring"]["rate_current"] is None
    assert camp["summer"]["z"] is None and camp["summer"]["p_value"] is None
    assert camp["summer"]["direction"] == "same" and not camp["summer"]["significant"]
    assert compare_periods(con, ["carrier"], CURRENT, PREVIOUS, min_messages=101).height == 1


def test_headline_hand_computed(con):
    head = headline(con, CURRENT, PREVIOUS)
    cur, prev, delta = head["current"], head["previous"], head["delta"]
    assert (cur["messages"], cur["delivered"], cur["failed"], cur["no_report"]) == (
        170,
        136,
        24,
        10,
    )
    assert (prev["messages"], prev["delivered"], prev["failed"]) == (150, 139, 11)
    assert cur["failure_rate"] == pytest.approx(24 / 170)
    assert cur["pending_rate"] == pytest.approx(10 / 170)
    assert prev["pending_rate"] == 0.0
    assert delta["messages"] == 20
    assert delta["messages_pct"] == pytest.approx(20 / 150 * 100)
    assert delta["failure_rate"] == pytest.approx((24 / 170 - 11 / 150) * 100)
    assert delta["failure_rate"] == pytest.approx(6.78431, abs=1e-5)
    assert delta["delivery_rate"] == pytest.approx((136 / 170 - 139 / 150) * 100)
    assert delta["failure_rate_p_value"] == pytest.approx(z_test(24, 170, 11, 150)[1])
    assert head["failure_rate_delta_pp"] == delta["failure_rate"]
    assert head["messages_current"] == 170


def test_failure_breakdown_levels_and_shares(con):
    by_category = failure_breakdown(con, CURRENT, "category")
    assert by_category["category"].to_list() == ["carrier_filtered", "invalid_number"]
    assert by_category["failed"].to_list() == [20, 4]
    assert by_category["messages"].to_list() == [170, 170]
    assert by_category["share_of_failures"].sum() == pytest.approx(1.0)
    assert by_category["share_of_failures"][0] == pytest.approx(20 / 24)

    codes = failure_breakdown(con, CURRENT, "code", {"category": "carrier_filtered"})
    assert codes.columns == [
        "provider",
        "channel",
        "code",
        "category",
        "name",
        "description",
        "advice",
        "advice_from",
        "link",
        "failed",
        "messages",
        "failure_rate",
        "share_of_failures",
    ]
    row = codes.row(0, named=True)
    assert (codes.height, row["code"], row["failed"], row["messages"]) == (1, "7101", 20, 170)
    assert row["name"] == "Synthetic carrier filter"
    assert row["share_of_failures"] == pytest.approx(20 / 24)  # of ALL failures

    parent = {"provider": "azure_acs", "channel": "sms", "code": "7101"}
    carriers = failure_breakdown(con, CURRENT, "carrier", parent)
    assert carriers.to_dicts() == [
        {
            "carrier": "AT&T",
            "failed": 20,
            "messages": 120,
            "failure_rate": pytest.approx(20 / 120),
            "share_of_failures": pytest.approx(20 / 24),
        }
    ]
    all_carriers = failure_breakdown(con, CURRENT, "carrier")
    assert all_carriers["share_of_failures"].sum() == pytest.approx(1.0)
    for level in ("code", "campaign", "country"):
        shares = failure_breakdown(con, PREVIOUS, level)["share_of_failures"]
        assert shares.sum() == pytest.approx(1.0)
    # A parent outside the filters matches nothing, instead of widening the filters.
    only_vz = CURRENT.with_(carrier=("Verizon",))
    assert failure_breakdown(con, only_vz, "code", {"carrier": "AT&T"}).is_empty()
    with pytest.raises(ValueError):
        failure_breakdown(con, CURRENT, "weekday")


def test_failure_heatmap_fills_every_cell(con):
    # Previous week: 7101 failed at AT&T only, 7102 at Verizon only.
    heat = failure_heatmap(con, PREVIOUS, rows="code", columns="carrier")
    cells = {(r["row"].split()[1], r["column"]): r for r in heat.to_dicts()}
    assert list(cells) == [
        ("7101", "AT&T"),
        ("7101", "Verizon"),
        ("7102", "AT&T"),
        ("7102", "Verizon"),
    ]  # rows and columns both in order of their total failures
    assert (cells[("7101", "AT&T")]["failed"], cells[("7101", "AT&T")]["messages"]) == (10, 100)
    assert cells[("7101", "Verizon")]["failed"] == 0
    assert cells[("7101", "Verizon")]["messages"] == 50
    assert cells[("7101", "Verizon")]["failure_rate"] == 0.0
    assert cells[("7102", "Verizon")]["failure_rate"] == pytest.approx(1 / 50)
    assert heat["row"][0] == "azure_acs/sms 7101 Synthetic carrier filter"
    # Only the top rows and columns by failures: Verizon had none this week.
    current = failure_heatmap(con, CURRENT, rows="code", columns="carrier")
    assert set(current["column"]) == {"AT&T"}
    assert failure_heatmap(con, PREVIOUS, top=1).height == 1
    by_category = failure_heatmap(con, CURRENT, rows="category", columns="campaign")
    assert by_category["messages"].to_list() == [170, 170]


def test_outcomes_over_time_shares(con):
    frame = outcomes_over_time(con, CURRENT, grain="day")
    assert frame.columns == ["period_start", "outcome", "messages", "share"]
    per_day = frame.group_by("period_start").agg(pl.col("share").sum(), pl.col("messages").sum())
    assert per_day["share"].to_list() == pytest.approx([1.0] * per_day.height)
    assert per_day["messages"].sum() == 170
    totals = frame.group_by("outcome").agg(pl.col("messages").sum())
    assert rows_by(totals, "outcome")["no_report"]["messages"] == 10
    assert frame.filter(pl.col("period_start") == frame["period_start"][0]).height == 6


def test_empty_selection(con):
    nothing = Filters.build(since="2030-01-01", until="2030-01-08")
    before = previous_period(nothing)
    assert compare_periods(con, ["code"], nothing, before).is_empty()
    head = headline(con, nothing, before)
    assert head["current"]["messages"] == 0 and head["delta"]["failure_rate_p_value"] is None
    assert failure_breakdown(con, nothing, "code").is_empty()
    assert failure_heatmap(con, nothing).is_empty()
    assert outcomes_over_time(con, nothing).is_empty()
