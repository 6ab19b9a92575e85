"""event_code_days: events per UTC day and code key, kept at ingest so that the review's new
codes, its gaps and the uncatalogued lists need not read every event. A (day, key) gets a
row per ingest that reports it; every reader sums or de-duplicates them."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from deliverability.queries.review_checks import gaps, new_codes
from deliverability.queries.runner import run
from tests.conftest import ingest, write

HEADER = "message_id,provider,channel,event_at,status_code,status_text\n"
WEEK = (datetime(2024, 5, 6), datetime(2024, 5, 13))  # 2024-W19
BASELINE_SINCE = datetime(2024, 4, 8)


def events_file(path, rows):
    return write(path, HEADER + "".join(f"{m},azure_acs,sms,{t},{c},text\n" for m, t, c in rows))


@pytest.fixture
def con(store, tmp_path):
    # 2000 is reported before the week and in it, on Monday by both files; 4007 only in the
    # week (new), in the second file; 8888 (not in the catalog) in the week, 8887 before it.
    first = events_file(
        tmp_path / "first.csv",
        [
            ("m1", "2024-04-29T10:00:00Z", "2000"),
            ("m2", "2024-05-06T10:00:00Z", "2000"),
            ("m3", "2024-05-06T11:00:00Z", "2000"),
            ("m7", "2024-05-08T10:00:00Z", "8888"),
            ("m8", "2024-04-30T10:00:00Z", "8887"),
        ],
    )
    second = events_file(
        tmp_path / "second.csv",
        [
            ("m4", "2024-05-06T12:00:00Z", "2000"),
            ("m5", "2024-05-06T13:00:00Z", "4007"),
            ("m6", "2024-05-07T09:00:00Z", "4007"),
        ],
    )
    assert ingest(store, first).ok and ingest(store, second).ok
    return store.cursor()


def test_a_day_reported_by_two_files_has_a_row_per_file_and_sums_to_the_events(con):
    rows = con.execute(
        "SELECT events FROM event_code_days WHERE day = '2024-05-06' AND status_code = '2000'"
    ).fetchall()
    assert sorted(r[0] for r in rows) == [1, 2]
    counted = con.execute("SELECT sum(events) FROM event_code_days").fetchall()[0][0]
    assert counted == con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 8


def test_new_codes_gaps_and_uncatalogued_read_the_days(con):
    since, until = WEEK
    new = run(con, "codes_new_in_period", since=since, until=until, baseline_since=BASELINE_SINCE)
    # 2000 was reported before the week (and by two files in it): not new.
    assert new.select("code", "events", "messages").rows() == [("4007", 2, 2), ("8888", 1, 1)]
    gaps = run(con, "ingest_gaps", since=since, until=until, baseline_since=BASELINE_SINCE)
    reports = dict(gaps.filter(pl.col("day") >= since).select("day", "events").rows())
    assert reports[since] == 4  # m2, m3 (first file) + m4, m5 (second file)
    assert reports[datetime(2024, 5, 7)] == 1 and reports[datetime(2024, 5, 9)] == 0
    unknown = run(con, "uncatalogued_in_period", since=since, until=until)
    assert unknown.select("code", "events").rows() == [("8888", 1)]  # 8887 is before it


def test_new_codes_and_gaps_need_whole_days(con):
    with pytest.raises(ValueError, match="new codes .* midnights"):
        new_codes(con, datetime(2024, 5, 6, 1), WEEK[1], BASELINE_SINCE)
    with pytest.raises(ValueError, match="gaps .* midnights"):
        gaps(con, WEEK[0], WEEK[1], datetime(2024, 4, 8, 12), None)
    assert gaps(con, WEEK[0], WEEK[1], BASELINE_SINCE, WEEK[1]).height > 0
