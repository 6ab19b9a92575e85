"""Every dashboard page through Streamlit's AppTest, on real DuckDB stores."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from deliverability.demo import sample_files
from deliverability.ingest import ingest_files
from deliverability.store import Store
from tests import dashboard_store
from tests.dashboard_store import BOLD_CAMPAIGN, HOSTILE_CAMPAIGN, expected
from tests.test_review import WEEK, review_db  # noqa: F401, F811  (review_db: a fixture)

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = (
    "views/overview.py",
    "views/failures.py",
    "views/trends.py",
    "views/carriers.py",
    "views/spikes.py",
    "views/messages.py",
    "views/latency.py",
    "views/catalog.py",
    "views/review.py",
    "views/alerts.py",
    "views/upload.py",
)


@pytest.fixture(scope="module")
def known_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dashboard")
    return dashboard_store.build(tmp / "known.duckdb", tmp / "logs")


@pytest.fixture
def app(known_store, monkeypatch):
    monkeypatch.setenv("DELIVERABILITY_DB", str(known_store))
    return AppTest.from_file(APP, default_timeout=60)


def page(at: AppTest, path: str, **params: str) -> AppTest:
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def all_text(at: AppTest) -> str:
    """Everything a page wrote through Markdown-reading elements."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "success", "error")
        for e in getattr(at, kind)
    ]
    parts += [e.value for e in at.title] + [e.value for e in at.subheader]
    return "\n".join(str(p) for p in parts)


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_on_an_empty_store(tmp_path, monkeypatch, path):
    monkeypatch.setenv("DELIVERABILITY_DB", str(tmp_path / "empty.duckdb"))
    at = page(AppTest.from_file(APP, default_timeout=60), path)
    if path not in ("views/catalog.py", "views/upload.py"):
        assert any("store is empty" in i.value for i in at.info), path


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_data(app, path):
    page(app, path)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    """The store `dashboard --demo` shows: every bundled sample log."""
    path = tmp_path_factory.mktemp("samples") / "samples.duckdb"
    store = Store.open(path)
    try:
        results = ingest_files(store, sample_files())
    finally:
        store.close()
    assert all(r.ok for r in results)
    return path


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_on_the_sample_logs(sample_store, monkeypatch, path):
    # Seven providers, carriers that only some of them reach: the heatmap has pairs without
    # messages (they once made Plotly raise on the Failures page).
    monkeypatch.setenv("DELIVERABILITY_DB", str(sample_store))
    at = page(AppTest.from_file(APP, default_timeout=60), path)
    if path == "views/failures.py":
        assert [c for c in at.get("plotly_chart")], "no charts on the Failures page"


def test_overview_tiles_show_the_stores_numbers(app):
    at = page(app, "views/overview.py")
    want = expected()
    assert metric(at, "Messages") == f"{want['messages']:,}"
    assert metric(at, "Delivery rate") == f"{want['delivered'] / want['messages'] * 100:.2f}%"
    assert metric(at, "Failure rate") == f"{want['failed'] / want['messages'] * 100:.2f}%"


def test_filters_come_from_the_url_and_apply(app):
    at = page(app, "views/overview.py", carrier="Verizon")
    assert metric(at, "Messages") == f"{expected('Verizon')['messages']:,}"
    assert at.sidebar.multiselect(key="filter_carrier").value == ["Verizon"]


def test_changing_a_filter_updates_the_url(app):
    at = page(app, "views/overview.py")
    at.sidebar.multiselect(key="filter_carrier").select("T-Mobile").run()
    assert metric(at, "Messages") == f"{expected('T-Mobile')['messages']:,}"
    assert at.query_params["carrier"] in ("T-Mobile", ["T-Mobile"])


def test_sql_looking_filter_values_match_nothing_and_break_nothing(app):
    at = page(
        app, "views/messages.py", code="2000' OR '1'='1", category="x'; DROP TABLE messages;--"
    )
    assert any("No messages match" in i.value for i in at.info)
    at = page(app, "views/overview.py")
    assert metric(at, "Messages") == f"{expected()['messages']:,}"


def test_failures_drill_down_from_category_to_code(app):
    at = page(app, "views/failures.py", category="carrier_filtered")
    codes = frames(at)[1]
    assert set(codes["category"]) == {"carrier_filtered"}
    at = page(app, "views/failures.py", code="4000", code_provider="azure_acs")
    text = all_text(at)
    assert "code 4000" in text
    # Azure documents advice for 4000: shown as the provider's, with its page.
    assert "Advice (the provider's)" in [c.value for c in at.caption]
    assert any("Ensure you aren't exceeding the maximum" in t.value for t in at.text)
    assert any(
        b.proto.url.startswith("https://learn.microsoft.com/") for b in at.get("link_button")
    )
    carriers = next(f for f in frames(at) if "carrier" in f.columns and "failed" in f.columns)
    assert int(carriers["failed"].sum()) == expected()["failed"]
    # "Show these messages" opens the Messages page on the code's failed messages.
    at.button(key="failures_to_messages").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (at.query_params["outcome"], at.query_params["code"]) == ("failed", "4000")
    shown = frames(at)[0]
    assert len(shown) == expected()["failed"] and set(shown["code"]) == {"4000"}


def test_messages_are_masked_unless_revealed(app):
    at = page(app, "views/messages.py")
    table = frames(at)[0]
    assert len(table) == expected()["messages"]
    assert all(r.startswith("••••") and len(r) == 8 for r in table["recipient"])
    at.sidebar.toggle(key="reveal_numbers").set_value(True).run()
    table = frames(at)[0]
    assert all(r.startswith("+1415555") for r in table["recipient"])


def test_messages_drill_by_outcome(app):
    at = page(app, "views/messages.py", outcome="failed")
    assert len(frames(at)[0]) == expected()["failed"]


def uncatalogued_table(at):
    """The Catalog page's table of uncatalogued codes (the one with example texts)."""
    return next(f for f in frames(at) if "example_text" in f.columns)


def test_uncatalogued_codes_are_listed_with_counts(app):
    at = page(app, "views/catalog.py")
    unknown = uncatalogued_table(at)
    row = unknown[unknown["code"] == "7777"]
    assert int(row["messages"].iloc[0]) == expected()["unknown"]


def test_catalog_counts_follow_the_sidebar_filters(app):
    otp = [m for m in dashboard_store.MESSAGES if m["campaign"] == "otp"]
    failed, unknown = (sum(m["outcome"] == o for m in otp) for o in ("failed", "unknown"))
    assert 0 < failed < expected()["failed"] and 0 < unknown < expected()["unknown"]
    at = page(app, "views/catalog.py", campaign="otp")
    entries, uncatalogued = frames(at)[0], uncatalogued_table(at)
    code_4000 = entries[(entries["provider"] == "azure_acs") & (entries["code"] == "4000")]
    assert code_4000["messages"].sum() == failed
    assert uncatalogued[uncatalogued["code"] == "7777"]["messages"].tolist() == [unknown]
    # Every uncatalogued message went out on T-Mobile: for Verizon the list says so.
    assert expected("Verizon")["unknown"] == 0
    at = page(app, "views/catalog.py", carrier="Verizon")
    assert any("Every code reported for the selected messages" in s.value for s in at.success)


def test_catalog_search_finds_a_code_across_providers(app):
    at = page(app, "views/catalog.py")
    at.text_input(key="catalog_text").input("2000").run()
    found = frames(at)[0]
    assert {"azure_acs", "sfmc"} <= set(found[found["code"] == "2000"]["provider"])


def test_hostile_log_values_stay_text(app):
    for path in PAGES:
        at = page(app, path, campaign=HOSTILE_CAMPAIGN)
        text = all_text(at)
        assert "<img" not in text, path
        assert BOLD_CAMPAIGN not in text, path
    at = page(app, "views/messages.py")
    assert HOSTILE_CAMPAIGN in set(frames(at)[0]["campaign"])


def test_a_store_with_only_delivery_reports_says_so(tmp_path, monkeypatch):
    _, events = dashboard_store.write_logs(tmp_path / "logs")
    db = tmp_path / "events_only.duckdb"
    from deliverability.ingest import ingest_file
    from deliverability.store import Store

    store = Store.open(db)
    try:
        assert ingest_file(store, events).ok
    finally:
        store.close()
    monkeypatch.setenv("DELIVERABILITY_DB", str(db))
    at = page(AppTest.from_file(APP, default_timeout=60), "views/overview.py")
    with_report = expected()["messages"] - expected()["no_report"]
    assert metric(at, "Messages") == f"{with_report:,}"
    assert any("delivery reports only" in i.value for i in at.info)
    for path in PAGES:
        page(at, path)


def test_filters_that_match_nothing_show_a_hint(app):
    at = page(app, "views/overview.py", since="2030-01-01", until="2030-01-08")
    assert any("No messages match" in i.value for i in at.info)


def test_rejected_rows_are_listed_per_file_with_reasons_and_masked(tmp_path, monkeypatch):
    db = tmp_path / "rejects.duckdb"
    events = tmp_path / "events.csv"
    events.write_text(
        "message_id,provider,channel,event_at,status_code,status_text,recipient\n"
        "r1,azure_acs,sms,2026-11-02T10:00:09Z,2000,Delivered,+14155550001\n"
        "r2,azure_acs,sms,not a time,4000,Blocked,+14155552671\n"
        "r3,azure_acs,sms,2026-11-02T10:02:09Z,2000,Delivered,+14155550003\n"
    )
    store = Store.open(db)
    try:
        [result] = ingest_files(store, [events])
    finally:
        store.close()
    assert (result.loaded, result.rejected) == (2, 1)
    monkeypatch.setenv("DELIVERABILITY_DB", str(db))
    at = page(AppTest.from_file(APP, default_timeout=60), "views/upload.py")
    rejected = next(f for f in frames(at) if "raw" in f.columns)
    assert rejected["line"].tolist() == [3] and rejected["file_name"].tolist() == ["events.csv"]
    assert "event_at" in rejected["reason"][0]
    assert '"event_at":"not a time"' in rejected["raw"][0]
    assert "14155552671" not in "".join(rejected["raw"])


def _table_of_a_campaign_named_after_a_number() -> None:
    import polars as pl
    import streamlit as st

    from deliverability.dashboard import ui

    st.session_state["reveal_numbers"] = st.session_state.get("reveal", False)
    frame = pl.DataFrame({"campaign": ["msisdn14155551111"], "messages": [3]})
    ui.table(frame, key="t")
    ui.download_csv(frame, "t.csv", key="d")


@pytest.mark.parametrize(
    ("reveal", "shown"), [(False, "msisdn••••1111"), (True, "msisdn14155551111")]
)
def test_every_table_masks_numbers_unless_revealed(reveal, shown):
    """ui.table (every page's tables: failures by campaign, the review's, ...) masks."""
    at = AppTest.from_function(_table_of_a_campaign_named_after_a_number)
    at.session_state["reveal"] = reveal
    at.run()
    assert not at.exception
    assert at.dataframe[0].value["campaign"].to_list() == [shown]


def test_a_page_says_the_store_is_busy_while_another_process_writes_it(tmp_path):
    """A large CLI ingest holds the store longer than a page waits: one line, no traceback."""
    import os
    import subprocess
    import sys

    db = dashboard_store.build(tmp_path / "busy.duckdb", tmp_path / "logs", 0, 40)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from pathlib import Path; from deliverability.store import Store; "
         f"s = Store.open(Path({str(db)!r})); print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        script = (
            "import os, sys\n"
            f"os.environ['DELIVERABILITY_DB'] = {str(db)!r}\n"
            "os.environ['DELIVERABILITY_READ_WAIT'] = '1'\n"
            "from streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({APP!r}, default_timeout=60)\n"
            "at.run()\n"
            "print('exceptions', len(at.exception))\n"
            "print('warning', at.warning[0].value if at.warning else None)\n"
        )
        # A process of its own: the wait is read when deliverability.connection is imported.
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
            env={**os.environ},
        )  # fmt: skip
        lines = out.stdout.strip().splitlines()
        assert "exceptions 0" in lines, out.stdout + out.stderr
        warning = next(line for line in lines if line.startswith("warning "))
        assert "store is busy" in warning and str(db) in warning
    finally:
        holder.kill()
        holder.wait()


def test_a_catalog_changed_while_the_dashboard_runs_is_taken_in(tmp_path, monkeypatch):
    """The store is brought up to date under the dashboard's own write gate (another
    session may be reading): the next run sees the user's catalog entry."""
    db = dashboard_store.build(tmp_path / "c.duckdb", tmp_path / "logs", 0, 60)
    extra = tmp_path / "extra.csv"
    lines = (Path(__file__).resolve().parent.parent / "catalog" / "azure_acs.csv").read_text()
    header, first = lines.splitlines()[:2]
    extra.write_text(header + "\n")
    monkeypatch.setenv("DELIVERABILITY_DB", str(db))
    monkeypatch.setenv("DELIVERABILITY_CATALOG_EXTRA", str(extra))
    before = page(AppTest.from_file(APP, default_timeout=60), "views/catalog.py")
    assert "7777" in set(uncatalogued_table(before)["code"])
    row = next(csv.reader([first]))
    row[1], row[2] = "sms", "7777"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    extra.write_text(header + "\n" + buffer.getvalue())
    after = page(AppTest.from_file(APP, default_timeout=60), "views/catalog.py")
    assert any("Every code reported for the selected messages" in s.value for s in after.success)


@pytest.fixture(scope="module")
def big_store(tmp_path_factory) -> Path:
    """6,000 messages: more than the Messages page shows."""
    import duckdb

    from deliverability.ingest import ingest_file

    tmp = tmp_path_factory.mktemp("big")
    log = tmp / "log.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'b' || i AS message_id, 'azure_acs' AS provider, 'sms' AS channel,
                  strftime(TIMESTAMP '2026-11-10 10:00:00' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ') AS sent_at,
                  '+1415555' || lpad(CAST(i % 10000 AS VARCHAR), 4, '0') AS recipient,
                  strftime(TIMESTAMP '2026-11-10 10:00:09' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ') AS event_at,
                  '2000' AS status_code
                  FROM range(6000) t(i)) TO '{log}' (HEADER)"""
    )
    con.close()
    store = Store.open(tmp / "big.duckdb")
    ingest_file(store, log)
    store.close()
    return tmp / "big.duckdb"


def test_messages_page_gives_the_total_and_downloads_every_message(big_store, monkeypatch):
    from deliverability.dashboard import data
    from deliverability.queries import Filters

    monkeypatch.setenv("DELIVERABILITY_DB", str(big_store))
    at = page(AppTest.from_file(APP, default_timeout=60), "views/messages.py")
    assert any(
        "Showing the newest 5,000 of 6,000 matching messages" in c.value for c in at.caption
    ), [c.value for c in at.caption]
    # The download is built when clicked, on a thread of its own, masked like the table.
    text = data.all_messages_csv(Filters(), None, False).decode()
    lines = text.splitlines()
    assert len(lines) == 6001 and lines[0].startswith("provider,message_id")
    assert "+14155550001" not in text and "••••0001" in text
    revealed = data.all_messages_csv(Filters(), None, True).decode()
    assert "+14155550001" in revealed


def test_what_changed_compares_periods_with_data_and_lists_failure_codes(app):
    at = page(app, "views/overview.py")
    captions = [c.value for c in at.caption]
    window = next(c for c in captions if c.startswith("Failure codes, "))
    # The selection starts with the data: the last 7 days are compared with the 28 before.
    assert window == (
        "Failure codes, 2026-11-09 – 2026-11-15 vs 2026-10-12 – 2026-11-08 "
        "(the period before the selection has no messages)"
    )
    changes = next(f for f in frames(at) if "change" in f.columns)
    assert set(changes["code"]) == {"4000"}  # not 2000 (delivered), 7777 (unknown), no report
    assert all(v.endswith(" pp") or v == "–" for v in changes["change"])
    assert all(v == "<0.0001" or v == "–" or float(v) <= 1 for v in changes["p_value"])


def test_catalog_page_reads_well(app):
    at = page(app, "views/catalog.py")
    assert at.selectbox(key="catalog_category").options[0] == "All categories"
    at.text_input(key="catalog_text").input("30007").run()
    assert not at.exception
    assert any(c.value.startswith("1 entry.") for c in at.caption), [c.value for c in at.caption]
    table = frames(at)[0]
    assert list(table.columns[:7]) == [
        "provider", "channel", "code", "name", "category", "outcome", "messages",
    ]  # fmt: skip
    assert list(table.columns).index("variant") > list(table.columns).index("advice")


@pytest.mark.parametrize(
    ("x", "grain", "window"),
    [
        ("2026-11-10", "day", {"since": "2026-11-10", "until": "2026-11-11"}),
        ("2026-11-10 00:00:00", "day", {"since": "2026-11-10", "until": "2026-11-11"}),
        ("2026-11-09T00:00:00", "week", {"since": "2026-11-09", "until": "2026-11-16"}),
        ("2026-11-10 14:00:00", "hour", {"since": "2026-11-10", "until": "2026-11-11"}),
    ],
)
def test_a_clicked_bar_opens_the_messages_of_its_bucket(x, grain, window):
    from deliverability.dashboard.ui import bucket_window

    assert bucket_window(x, grain) == window


def test_review_page_tables_have_the_reports_headers(review_db, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DELIVERABILITY_DB", str(review_db))
    at = page(AppTest.from_file(APP, default_timeout=60), "views/review.py", week=WEEK)
    columns = {c for f in frames(at) for c in f.columns}
    assert not any(c.endswith(("_current", "_previous", "_baseline")) for c in columns), columns
    changed = [f for f in frames(at) if "Flagged against" in f.columns]
    assert changed and all("Failure rate" in f.columns for f in changed)
    assert all(v.endswith("%") for f in changed for v in f["Failure rate"])


def test_latency_page_gives_percentiles_by_provider_and_over_time(app):
    at = page(app, "views/latency.py")
    table = next(f for f in frames(at) if "latency_p50_s" in f.columns)
    # Every report in the known store comes 20 s after its send.
    assert table["provider"].tolist() == ["azure_acs"]
    assert table["latency_p50_s"].tolist() == [20.0] and table["latency_p99_s"].tolist() == [20.0]
    at.segmented_control(key="latency_by").set_value("carrier").run()
    assert not at.exception
    table = next(f for f in frames(at) if "latency_p50_s" in f.columns)
    assert set(table["carrier"]) == {"Verizon", "T-Mobile"}
    assert len(at.get("plotly_chart")) == 1


def test_failure_rate_over_time_lines_bands_and_the_grain_in_the_url(app):
    at = page(app, "views/trends.py", grain="week")
    assert at.query_params["grain"] == "week"
    totals = next(f for f in frames(at) if "failure_rate" in f.columns)
    assert totals["value"].tolist() == ["azure_acs 4000"]
    assert int(totals["failed"].sum()) == expected()["failed"]
    figure = at.get("plotly_chart")[0].proto.spec
    assert '"fill":"tonexty"' in figure.replace(" ", "")  # the interval band
    at.segmented_control(key="trend_dim").set_value("carrier").run()
    assert not at.exception
    carriers = next(f for f in frames(at) if "failure_rate" in f.columns)
    assert set(carriers["value"]) == {"Verizon"}  # every failure went out on Verizon


def test_carrier_comparison_tests_each_carrier_against_its_country(app):
    at = page(app, "views/carriers.py")
    table = next(f for f in frames(at) if "rest of country" in f.columns)
    rows = {r["carrier"]: r for r in table.to_dict("records")}
    # Every failure went out on Verizon: its rate is the failures over its messages, against
    # T-Mobile's (none), and it comes first.
    verizon = expected("Verizon")
    assert rows["Verizon"]["failed"] == verizon["failed"] == expected()["failed"]
    assert rows["Verizon"]["failure_rate"] == pytest.approx(verizon["failed"] / verizon["messages"])
    assert rows["Verizon"]["rest of country"] == 0.0
    assert table["carrier"].tolist()[0] == "Verizon" and rows["Verizon"]["p_value"] == "<0.0001"
    low, high = (float(v) for v in rows["Verizon"]["failure_rate 95%"].rstrip("%").split("–"))
    assert low < rows["Verizon"]["failure_rate"] * 100 < high
    assert rows["Verizon"]["top_codes"] == f"4000 ×{verizon['failed']}"


def test_a_day_without_failures_is_a_zero_point_not_a_gap(known_store):
    from deliverability.queries import Filters
    from deliverability.queries.timeseries import failure_rate_series

    con = Store.open_reader(known_store)
    try:
        series = failure_rate_series(con, Filters(), "code", grain="day")
    finally:
        con.close()
    # The known store's failures (every 10th message) fall on every other day of 14.
    assert series.height == 14 and series["value"].unique().to_list() == ["azure_acs 4000"]
    assert (series["failed"] == 0).sum() == 7
    assert int(series["failed"].sum()) == expected()["failed"]
    assert int(series["messages"].sum()) == expected()["messages"]


def _table_with_a_missing_carrier() -> None:
    import polars as pl

    from deliverability.dashboard import ui

    ui.table(pl.DataFrame({"carrier": [None, "EE"], "ratio": [2.4037, 1.0]}), key="t")


def test_tables_say_none_as_the_charts_do():
    at = AppTest.from_function(_table_with_a_missing_carrier)
    at.run()
    assert not at.exception
    assert at.dataframe[0].value["carrier"].to_list() == ["(none)", "EE"]


def test_the_display_zone_comes_from_the_url_and_moves_times_and_days(app):
    at = page(app, "views/messages.py", tz="Asia/Tokyo")
    assert at.sidebar.selectbox(key="filter_tz").value == "Asia/Tokyo"
    assert (
        at.sidebar.date_input(key="filter_dates").label == "Date range (Asia/Tokyo, by send time)"
    )
    first = dashboard_store.MESSAGES[0]  # sent 09:00 UTC: 18:00 in Tokyo
    table = frames(at)[0]
    shown = table.loc[table["message_id"] == first["message_id"], "message_at"].iloc[0]
    assert str(shown).startswith(f"{first['sent_at'] + timedelta(hours=9):%Y-%m-%d %H:%M}")
    at.sidebar.selectbox(key="filter_tz").set_value("UTC").run()
    assert "tz" not in at.query_params
    table = frames(at)[0]
    shown = table.loc[table["message_id"] == first["message_id"], "message_at"].iloc[0]
    assert str(shown).startswith(f"{first['sent_at']:%Y-%m-%d %H:%M}")


def test_the_dashboards_default_zone_is_display_tz(app, monkeypatch):
    monkeypatch.setenv("DELIVERABILITY_DISPLAY_TZ", "America/New_York")
    at = page(app, "views/overview.py")
    assert at.sidebar.selectbox(key="filter_tz").value == "America/New_York"
    assert "tz" not in at.query_params  # the default is not written into links


def test_the_spike_band_is_a_slab_per_bucket_broken_where_a_bucket_has_none():
    from datetime import datetime

    import polars as pl

    from deliverability.dashboard.charts import _bucket_band

    t = [datetime(2026, 11, 18, h) for h in range(4)]
    frame = pl.DataFrame(
        {
            "period_start": t,
            "baseline_low": [0.1, None, 0.1, 0.2],
            "baseline_high": [0.2, None, 0.3, 0.4],
        }
    )
    xs, ys = _bucket_band(frame)
    hour = timedelta(hours=1)
    assert xs == [
        t[0], t[0] + hour, t[0] + hour, t[0], None,
        t[2], t[2] + hour, t[3], t[3] + hour, t[3] + hour, t[3], t[2] + hour, t[2], None,
    ]  # fmt: skip
    assert ys == [0.2, 0.2, 0.1, 0.1, None, 0.3, 0.3, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, None]


def _ledger_row(**values) -> dict:
    row = dict.fromkeys(
        ("provider", "channel", "code", "dimension", "value", "baseline_rate", "ratio", "q_value"),
    )
    row.update(
        alert_key="k",
        destination="d",
        rule="twilio-team",
        kind="spike",
        is_update=False,
        in_digest=False,
        grain="hour",
        count=12,
        messages=100,
        rate=0.12,
        destination_label="twilio-team (slack webhook hooks.slack.com)",
    )
    return row | values


def test_alerts_page_lists_rules_and_alerts_sent(known_store, tmp_path, monkeypatch):
    db = tmp_path / "alerts.duckdb"
    db.write_bytes(known_store.read_bytes())
    monkeypatch.setenv("DELIVERABILITY_DB", str(db))
    empty = page(AppTest.from_file(APP, default_timeout=60), "views/alerts.py")
    assert "No alert rule has run on this store yet" in all_text(empty)
    store = Store.open(db)
    try:
        store.record_alert_rule(
            {
                "rule": "twilio-team",
                "grain": "hour",
                "providers": "twilio",
                "channels": None,
                "codes": None,
                "categories": None,
                "min_count": 10,
                "sustained": False,
                "destinations": "twilio-team (slack webhook hooks.slack.com)",
                "checked_until": datetime(2026, 11, 15, 23),
                "last_sent": 2,
                "last_failed": 0,
            }
        )
        store.record_alert_deliveries(
            [
                _ledger_row(
                    alert_key="a",
                    period_start=datetime(2026, 11, 14, 9),
                    provider="twilio",
                    channel="sms",
                    code="30007",
                    baseline_rate=0.01,
                    ratio=12.0,
                    title="Spike: twilio · sms · 30007 (Message filtered)",
                ),
                _ledger_row(
                    alert_key="b",
                    kind="sustained",
                    grain="week",
                    dimension="campaign",
                    value=HOSTILE_CAMPAIGN,
                    period_start=datetime(2026, 11, 9),
                    title=f"Sustained rise: campaign {HOSTILE_CAMPAIGN} +14155550123",
                ),
            ]
        )
    finally:
        store.close()
    at = page(AppTest.from_file(APP, default_timeout=60), "views/alerts.py")
    rules, sent = frames(at)
    assert rules["rule"].tolist() == ["twilio-team"]
    assert rules["destinations"].tolist() == ["twilio-team (slack webhook hooks.slack.com)"]
    assert sent["title"].tolist()[0].startswith("Spike: twilio")
    # Log text as text, numbers masked, the destination by its label only.
    assert any(
        HOSTILE_CAMPAIGN in title and "••••0123" in title and "+1415" not in title
        for title in sent["title"]
    )
    assert set(sent["destination"]) == {"twilio-team (slack webhook hooks.slack.com)"}
    assert "2 deliveries" in all_text(at)
