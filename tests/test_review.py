"""The weekly review on a generated store with known week-over-week changes.

The generator writes canonical send and delivery logs (one pair of CSV files per ISO week)
and ingests them through the real ingest path. Every day from Monday 2024-04-01 (W14) to
Tuesday 2024-05-14 (W20) has 100 messages at each of three carriers (azure_acs sms, codes
from the shipped catalog), except the planted gap day, Thursday 2024-05-09. Normally, per
carrier and day: 4 fail with 4006 (unreachable), the rest are delivered (2000), and at AT&T
6 sent messages never get a report. In the review week 2024-W19 (2024-05-06 to 05-12):

* Verizon: 16 more messages a day fail with 4005 (blocked by carrier): the worse code and
  the worse carrier;
* T-Mobile: 3 a day end on 4007 (opted out), a code never reported before: new this week;
* AT&T: only 1 a day fails with 4006 (better), and 2 a day end on 4444, a code the catalog
  does not know, with hostile status text.

Half the messages carry a hostile campaign name. Week W19 has 6 days of data, so:
1800 messages, 168 failed (120 Verizon, 42 T-Mobile, 6 AT&T), 36 without a report,
12 unknown, 1584 delivered. The previous week W18: 2100 messages, 84 failed (4%).
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import polars as pl
import pytest

from deliverability.queries import notes
from deliverability.queries.compare import compare_periods
from deliverability.queries.filters import Filters
from deliverability.queries.privacy import scrub_phones
from deliverability.queries.review import (
    available_weeks,
    default_week,
    weekly_review,
)
from deliverability.render.review_html import to_html
from deliverability.render.review_markdown import md, to_markdown
from deliverability.store import Store
from tests.conftest import ingest

FIRST_DAY = date(2024, 4, 1)
LAST_DAY = date(2024, 5, 14)
WEEK = "2024-W19"
WEEK_START = date(2024, 5, 6)
GAP_DAY = date(2024, 5, 9)
WEEK_LONG = timedelta(days=7)
CARRIERS = ("Verizon", "T-Mobile", "AT&T")
HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_TEXT = "**bold** <img src=x onerror=alert(1)> call +14155550123"
SENDER = "+18005550100"
SEND_COLUMNS = [
    "message_id",
    "provider",
    "channel",
    "sent_at",
    "sender",
    "recipient",
    "country",
    "carrier",
    "campaign",
    "segments",
]
EVENT_COLUMNS = [
    "message_id",
    "provider",
    "channel",
    "event_at",
    "status_code",
    "status_text",
    "carrier",
]


def final_code(day: date, carrier: str, i: int) -> str | None:
    """The planted final status of message I of CARRIER on DAY (None: no report)."""
    review_week = WEEK_START <= day < WEEK_START + timedelta(days=7)
    if carrier == "AT&T":
        if 4 <= i < 10:
            return None
        if review_week:
            if i in (10, 11):
                return "4444"
            return "4006" if i < 1 else "2000"
    if i < 4:
        return "4006"
    if review_week and carrier == "Verizon" and i < 20:
        return "4005"
    if review_week and carrier == "T-Mobile" and i < 7:
        return "4007"
    return "2000"


def generate(directory: Path) -> list[Path]:
    """One sends and one events CSV per ISO week; the last events file has one bad row."""
    weeks: dict[str, tuple[list[dict], list[dict]]] = {}
    day, n = FIRST_DAY, 0
    while day <= LAST_DAY:
        if day != GAP_DAY:
            label = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
            sends, events = weeks.setdefault(label, ([], []))
            for c, carrier in enumerate(CARRIERS):
                for i in range(100):
                    n += 1
                    sent = datetime.combine(day, datetime.min.time()) + timedelta(
                        minutes=5 + (c * 100 + i) * 4
                    )
                    mid = f"m{day:%Y%m%d}-{c}-{i:03d}"
                    sends.append(
                        {
                            "message_id": mid,
                            "provider": "azure_acs",
                            "channel": "sms",
                            "sent_at": sent.isoformat() + "Z",
                            "sender": SENDER,
                            "recipient": f"+1415555{n % 10000:04d}",
                            "country": "US",
                            "carrier": carrier,
                            "campaign": "spring-sale" if i % 2 == 0 else HOSTILE,
                            "segments": "1",
                        }
                    )
                    code = final_code(day, carrier, i)
                    if code is None:
                        continue
                    events.append(
                        {
                            "message_id": mid,
                            "provider": "azure_acs",
                            "channel": "sms",
                            "event_at": (sent + timedelta(seconds=30)).isoformat() + "Z",
                            "status_code": code,
                            "status_text": HOSTILE_TEXT if code == "4444" else f"status {code}",
                            "carrier": carrier,
                        }
                    )
        day += timedelta(days=1)
    paths = []
    for label, (sends, events) in sorted(weeks.items()):
        for kind, rows, columns in (
            ("sends", sends, SEND_COLUMNS),
            ("events", events, EVENT_COLUMNS),
        ):
            path = directory / f"{kind}_{label}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
                if kind == "events" and label == "2024-W20":
                    writer.writerow(
                        {
                            "message_id": "bad",
                            "provider": "azure_acs",
                            "channel": "sms",
                            "event_at": "not-a-time",
                            "status_code": "2000",
                            "status_text": "x",
                            "carrier": "Verizon",
                        }
                    )
            paths.append(path)
    return paths


@pytest.fixture(scope="module")
def review_db(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("review")
    path = directory / "store.duckdb"
    store = Store.open(path)
    try:
        for log in generate(directory):
            result = ingest(store, log)
            assert not result.errors, result.errors
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def review(review_db):
    store = Store.open(review_db)
    try:
        return weekly_review(store.con)
    finally:
        store.close()  # the CLI tests below open the same file


def test_default_week_is_the_last_complete_week(review_db, review):
    store = Store.open(review_db)
    try:
        assert default_week(store.con) == WEEK
        weeks = available_weeks(store.con)
        assert weeks["week"].to_list()[:2] == ["2024-W20", WEEK]
        assert weeks["complete"].to_list()[:2] == [False, True]
    finally:
        store.close()
    assert review.week == WEEK
    assert review.start == datetime(2024, 5, 6) and review.end == datetime(2024, 5, 13)
    assert review.complete


def test_headline_numbers_are_the_planted_ones(review):
    h = review.headline
    cur, prev, base = h["current"], h["previous"], h["baseline"]
    assert (cur["messages"], cur["failed"], cur["delivered"]) == (1800, 168, 1584)
    assert (cur["no_report"], cur["unknown"]) == (36, 12)
    assert cur["failure_rate"] == pytest.approx(168 / 1800)
    assert (prev["messages"], prev["failed"]) == (2100, 84)
    assert prev["failure_rate"] == pytest.approx(0.04)
    assert h["baseline_weeks"] == 4
    assert base["messages"] == pytest.approx(2100)
    assert base["failure_rate"] == pytest.approx(0.04)
    assert h["vs_previous"]["failure_rate"] == pytest.approx((168 / 1800 - 0.04) * 100)
    assert h["vs_baseline"]["messages"] == pytest.approx(-300)


def test_worse_and_better_put_the_planted_changes_on_top(review):
    code = review.worse["code"].row(0, named=True)
    assert (code["provider"], code["channel"], code["code"]) == ("azure_acs", "sms", "4005")
    assert (code["failed_current"], code["failed_previous"]) == (96, 0)
    assert code["rate_current"] == pytest.approx(96 / 1800)
    carrier = review.worse["carrier"].row(0, named=True)
    assert carrier["carrier"] == "Verizon"
    assert carrier["rate_current"] == pytest.approx(120 / 600)
    assert carrier["rate_previous"] == pytest.approx(28 / 700)
    assert carrier["rate_baseline"] == pytest.approx(0.04)
    assert "AT&T" in review.better["carrier"]["carrier"].to_list()
    assert "T-Mobile" not in review.better["carrier"]["carrier"].to_list()
    p_values = review.worse["code"]["p_value"].to_list()
    assert all(p < 0.05 for p in p_values)


def assert_changes_are_compare_periods(con, review) -> None:
    """The review counts its weeks in one query by week and dimension; compare_periods counts
    each period afresh (review made with min_messages=0 and a large top). Each row is tested
    against the previous week and the baseline, Benjamini-Hochberg over all those tests."""
    from scipy import stats

    start = review.start
    week, before = (
        Filters(since=start, until=review.end),
        Filters(since=start - WEEK_LONG, until=start),
    )
    baseline = Filters(since=start - 4 * WEEK_LONG, until=start)
    expected = {}
    for dim in ("code", "carrier", "country", "campaign"):
        fresh = compare_periods(con, [dim], week, before)
        dims = fresh.columns[: fresh.columns.index("messages_current")]
        keys = [d for d in dims if d != "name"]
        against = compare_periods(con, [dim], week, baseline).select(
            *keys, pl.col("rate_previous").alias("rate_baseline"),
            pl.col("z").alias("z_baseline"), pl.col("p_value").alias("p_value_baseline"),
        )  # fmt: skip
        expected[dim] = (keys, fresh.join(against, on=keys, how="left", nulls_equal=True))
    p_values = [
        v for _, frame in expected.values() for c in ("p_value", "p_value_baseline")
        for v in frame[c].to_list() if v is not None
    ]  # fmt: skip
    q_of = dict(zip(p_values, stats.false_discovery_control(p_values, method="bh"), strict=True))
    for dim, (keys, frame) in expected.items():
        flags = {"worse": {}, "better": {}}
        for r in frame.iter_rows(named=True):
            q = q_of.get(r["p_value"], 1.0) if r["p_value"] is not None else 1.0
            qb = q_of.get(r["p_value_baseline"], 1.0) if r["p_value_baseline"] is not None else 1.0
            worse = (q <= 0.05 and r["z"] > 0, qb <= 0.05 and (r["z_baseline"] or 0) > 0)
            better = (q <= 0.05 and r["z"] < 0, qb <= 0.05 and (r["z_baseline"] or 0) < 0)
            direction, which = ("worse", worse) if any(worse) else ("better", better)
            if any(which):
                by = "both" if all(which) else "previous_week" if which[0] else "baseline"
                flags[direction][tuple(r[k] for k in keys)] = (
                    by,
                    r["rate_current"],
                    r["rate_baseline"],
                )
        for direction, frames in (("worse", review.worse), ("better", review.better)):
            got = {
                tuple(r[k] for k in keys): (r["flagged_by"], r["rate_current"], r["rate_baseline"])
                for r in frames[dim].iter_rows(named=True)
            }
            assert got.keys() == flags[direction].keys(), (dim, direction)
            for key, (by, rate_now, rate_base) in flags[direction].items():
                assert got[key][0] == by, (dim, key)
                assert got[key][1] == pytest.approx(rate_now)
                assert got[key][2] == pytest.approx(rate_base, nan_ok=True) if rate_base else True


def test_changes_are_compare_periods_of_the_weeks(review_db):
    store = Store.open(review_db)
    try:
        review = weekly_review(store.con, WEEK, min_messages=0, top=1000)
        assert_changes_are_compare_periods(store.con, review)
        assert review.worse["carrier"].height and review.better["carrier"].height
        assert review.worse["code"]["rate_baseline"].null_count() == 0
    finally:
        store.close()


def test_missing_values_and_a_baseline_week_without_data(tmp_path):
    # Every day of W14-W19 but W16: 40 messages, half without a carrier, a quarter without
    # a recipient or country, a fifth without a campaign; 2 fail a day. In W19, 10 more of
    # the messages without a carrier fail a day: the worse carrier is "no carrier".
    sends, events = [], []
    day = date(2024, 4, 1)
    while day < date(2024, 5, 13):
        if day.isocalendar().week != 16:
            for i in range(40):
                mid = f"n{day:%m%d}-{i:02d}"
                sent = datetime.combine(day, datetime.min.time()) + timedelta(minutes=10 + i)
                blank = i % 4 == 0
                sends.append(
                    [mid, "azure_acs", "sms", sent.isoformat() + "Z", "",
                     "" if blank else f"+1415555{i:04d}", "" if blank else "US",
                     "Verizon" if i < 20 else "", "" if i % 5 == 0 else "spring", "1"]
                )  # fmt: skip
                failed = i < 2 or (day >= WEEK_START and 20 <= i < 30)
                code = ("4005" if i >= 20 else "4006") if failed else "2000"
                at = (sent + timedelta(seconds=30)).isoformat() + "Z"
                events.append([mid, "azure_acs", "sms", at, code, f"status {code}", ""])
        day += timedelta(days=1)
    for name, columns, rows in (
        ("sends.csv", SEND_COLUMNS, sends),
        ("events.csv", EVENT_COLUMNS, events),
    ):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows)
    store = Store.open(tmp_path / "store.duckdb")
    try:
        for name in ("sends.csv", "events.csv"):
            assert not ingest(store, tmp_path / name).errors
        review = weekly_review(store.con, WEEK, min_messages=0, top=1000)
        assert_changes_are_compare_periods(store.con, review)
        worst = review.worse["carrier"].row(0, named=True)
        assert worst["carrier"] is None
        assert (worst["failed_current"], worst["failed_previous"]) == (70, 0)
        assert worst["rate_baseline"] == 0.0
        head = review.headline
        # Three of the four baseline weeks have data: its counts are per week with data.
        assert head["baseline_weeks"] == 3
        assert head["baseline"]["messages"] == pytest.approx(280)
        assert head["baseline"]["failed"] == pytest.approx(14)
        assert head["baseline"]["failure_rate"] == pytest.approx(2 / 40)
        assert head["current"]["failed"] == 7 * 12
    finally:
        store.close()


def test_new_codes_uncatalogued_spikes(review):
    new = review.new_codes.filter(pl.col("code") == "4007").row(0, named=True)
    assert new["messages"] == 18 and new["category"] == "opted_out"
    assert "2000" not in review.new_codes["code"].to_list()
    assert "4006" not in review.new_codes["code"].to_list()
    unknown = review.uncatalogued.row(0, named=True)
    assert (unknown["code"], unknown["messages"]) == ("4444", 12)
    assert "+14155550123" not in unknown["example_text"]
    spikes = review.spikes.filter(pl.col("code") == "4005")
    assert spikes.height >= 1
    first = spikes.row(0, named=True)
    assert first["period_start"].date() >= WEEK_START
    top = review.spike_contributors.filter(
        (pl.col("spike") == first["spike"]) & (pl.col("dimension") == "carrier")
    ).row(0, named=True)
    assert top["value"] == "Verizon"


def test_data_quality(review, review_db):
    gaps = review.gaps.filter(pl.col("provider").is_null())
    assert gaps["day"].to_list() == [GAP_DAY]
    assert gaps["kind"].to_list() == ["no data"]
    coverage = review.report_coverage.row(0, named=True)
    assert (coverage["provider"], coverage["messages"], coverage["no_report"]) == (
        "azure_acs",
        1800,
        36,
    )
    assert coverage["no_report_share"] == pytest.approx(0.02)
    assert review.ingests["overall"]["rejected"] == 1
    assert review.ingests["overall"]["files"] == 14
    # Counted by the dates of the files' rows, not the day they went in (today, not 2024).
    con = duckdb.connect(str(review_db), read_only=True)
    files, rows = con.execute(
        "SELECT count(DISTINCT ingest_id), count(*) FROM ("
        "SELECT ingest_id FROM sends WHERE sent_at >= ? AND sent_at < ? UNION ALL "
        "SELECT ingest_id FROM events WHERE event_at >= ? AND event_at < ?)",
        [review.start, review.end, review.start, review.end],
    ).fetchone()
    con.close()
    assert files > 0 and (
        review.ingests["this_week"]["files"],
        review.ingests["this_week"]["rows"],
    ) == (files, rows)
    overall = review.rejections.filter(pl.col("period") == "overall")
    assert overall["rows"].to_list() == [1]


class StrictParser(HTMLParser):
    """Collects tags and attributes; fails on markup the parser has to guess about."""

    VOID = {
        "meta",
        "br",
        "img",
        "input",
        "link",
        "hr",
        "rect",
        "line",
        "circle",
        "polyline",
        "path",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_valid_self_contained_and_escaped(review):
    page = to_html(review)
    parser = StrictParser()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], parser.stack
    names = [t for t, _ in parser.tags]
    assert names.count("svg") >= 3  # outcomes, failure rate, change bars
    assert "script" not in names and "img" not in names and "link" not in names
    for _, attrs in parser.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), key
            if key in ("src", "href", "xlink:href", "action"):
                raise AssertionError(f"external reference {key}={value}")
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", page)
    assert "url(" not in page and "@import" not in page
    text = " ".join(parser.text)
    assert HOSTILE in text  # shown as text, not markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "**bold**" in text
    assert "1,800" in text and "9.33%" in text and "Verizon" in text
    assert GAP_DAY.isoformat() in text


def test_markdown_has_the_headline_and_escapes_log_values(review):
    text = to_markdown(review)
    assert text.startswith(f"# Deliverability review {WEEK}")
    assert "| Messages | 1,800 | 2,100 | -300 (-14.3%) |" in text
    assert "| Failure rate | 9.33% | 4.00% | +5.33 pp |" in text
    assert HOSTILE not in text and "**bold**" not in text
    assert md(HOSTILE) in text and r"\*\*bold\*\*" in text
    assert "Verizon" in text and "4007" in text and GAP_DAY.isoformat() in text


def test_no_phone_numbers_in_the_review(review):
    for rendered in (to_html(review), to_markdown(review)):
        digits = re.sub(r"[^\d+]", "", rendered.replace("\\", ""))
        assert "+1415555" not in digits
        assert SENDER not in digits and "14155550123" not in digits
    assert scrub_phones("call +1 (415) 555-0123 on 2024-05-06") == ("call ••••0123 on 2024-05-06")
    assert scrub_phones("code 30007, 1,800 messages") == "code 30007, 1,800 messages"


def test_note_add_bumps_the_store_version(tmp_path):
    store = Store.open(tmp_path / "s.duckdb")
    try:
        before = store.version()
        note_id = store.add_note("carrier", "Verizon", "hello")
        assert store.version() == before + 1
        assert notes.list_notes(store.con)["note_id"].to_list() == [note_id]
        with pytest.raises(ValueError):
            store.add_note("sender", "x", "y")
        with pytest.raises(ValueError):
            store.add_note("week", "2024-W99", "y")
        with pytest.raises(ValueError):
            store.add_note("code", "4005", "   ")
    finally:
        store.close()


def test_dashboard_page_shows_the_review_and_adds_notes(review_db, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(review_db.read_bytes())
    monkeypatch.setenv("DELIVERABILITY_DB", str(copy))
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=120)
    at.switch_page("views/review.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="review_week").value == WEEK
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Messages"] == "1,800" and tiles["Failure rate"] == "9.33%"
    downloads = at.get("download_button")
    assert len(downloads) == 2
    shown = [str(e.value) for kind in ("markdown", "caption", "header", "subheader") for e in
             getattr(at, kind)]  # fmt: skip
    assert not any("<img" in s for s in shown)

    at.text_area[0].input("Week note from the dashboard")
    next(b for b in at.button if b.label == "Add note").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bodies = [list(d.value["body"]) for d in at.dataframe if "body" in d.value.columns]
    assert len(bodies) == 1 and "Week note from the dashboard" in bodies[0]
    store = Store.open(copy)
    try:
        newest = notes.list_notes(store.con).row(0, named=True)
        assert (newest["scope"], newest["subject"]) == ("week", WEEK)
    finally:
        store.close()


def test_gaps_name_a_provider_whose_messages_got_no_report(tmp_path):
    """Both providers send every day; on one day of the week Twilio's delivery reports are
    missing (none is stamped that day): that day, and only it, is a gap for Twilio."""
    silent_day = date(2024, 5, 8)
    sends = [",".join(SEND_COLUMNS)]
    events = [",".join(EVENT_COLUMNS)]
    day = date(2024, 4, 1)
    while day <= date(2024, 5, 12):
        for provider, code in (("azure_acs", "2000"), ("twilio", "delivered")):
            for i in range(10):
                at = datetime.combine(day, datetime.min.time()) + timedelta(hours=1 + i)
                mid = f"{provider}-{day:%Y%m%d}-{i}"
                sends.append(f"{mid},{provider},sms,{at:%Y-%m-%dT%H:%M:%SZ},,,US,Verizon,c,1")
                if not (provider == "twilio" and day == silent_day):
                    reported = at + timedelta(seconds=30)
                    events.append(
                        f"{mid},{provider},sms,{reported:%Y-%m-%dT%H:%M:%SZ},{code},ok,Verizon"
                    )
        day += timedelta(days=1)
    # Sent just before the silent day ends, reported just after it: the day still has no
    # report from Twilio, though one of its messages got one.
    sends.append("twilio-late,twilio,sms,2024-05-08T23:59:50Z,,,US,Verizon,c,1")
    events.append("twilio-late,twilio,sms,2024-05-09T00:00:20Z,delivered,ok,Verizon")
    store = Store.open(tmp_path / "store.duckdb")
    try:
        for name, lines in (("sends.csv", sends), ("events.csv", events)):
            (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            ingest(store, tmp_path / name)
        review = weekly_review(store.cursor(), WEEK)
    finally:
        store.close()
    assert review.gaps.to_dicts() == [
        {
            "day": silent_day,
            "provider": "twilio",
            "kind": "no delivery reports from this provider",
            "usual_per_day": 10.0,
        }
    ]
