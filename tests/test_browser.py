"""The real dashboard server driven by headless Chromium (Debian's chromium, via Playwright).

Upload a file, see the overview change, click into a code, download the messages CSV, and
keep a screenshot of every page in test-artifacts/screenshots/. Meanwhile every request the
page makes stays on this machine, and no Deploy button or developer menu is shown.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import duckdb
import pytest

from tests import dashboard_store
from tests.dashboard_store import HOSTILE_CAMPAIGN, N

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CLI = Path(sys.executable).parent / "deliverability"
PAGES = ("overview", "failures", "trends", "carriers", "spikes", "messages", "latency", "catalog",
         "review", "alerts", "upload")  # fmt: skip
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `python3 dev.py test` installs Debian's chromium")
    tmp = tmp_path_factory.mktemp("browser")
    db = dashboard_store.build(tmp / "store.duckdb", tmp / "first", 0, N // 2)
    later = dashboard_store.write_logs(tmp / "later", N // 2, N)
    port = free_port()
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(CLI), "dashboard", "--db", str(db), "--port", str(port), "--headless"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "CI": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the dashboard did not start:\n" + (tmp / "server.log").read_text())
    yield base, later, db
    # `deliverability dashboard` execs Streamlit, so this stops the server itself.
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


def settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(300)


def scroll_to(page, locator, attempts: int = 5) -> None:
    """Scroll to an element that a rerun may replace meanwhile (a drill re-creates its
    table): when the element found is detached before the scroll, find it again."""
    for attempt in range(attempts):
        try:
            locator.scroll_into_view_if_needed(timeout=10_000)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            settle(page)


def click_until(page, click, url_glob: str, attempts: int = 3) -> None:
    """Click (a chart or grid, which may still be drawing) until the URL shows the drill."""
    for attempt in range(attempts):
        click()
        try:
            page.wait_for_url(url_glob, timeout=10_000)
            settle(page)
            return
        except Exception:
            if attempt == attempts - 1:
                raise


def record_requests(page) -> list[str]:
    """Every URL the page asks for from now on: resources, fetches and WebSockets."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda socket: urls.append(socket.url))
    return urls


def outside_requests(urls: list[str]) -> list[str]:
    """The URLs that leave the machine (data: and blob: URLs have no host)."""
    return [u for u in urls if urlsplit(u).hostname and urlsplit(u).hostname not in LOCAL_HOSTS]


def messages_tile(page) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="Messages").first
    return tile.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_upload_changes_the_overview_then_drill_into_a_code_and_download(server, browser):
    base, later, _ = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(60_000)
    requests = record_requests(page)

    page.goto(f"{base}/")
    settle(page)
    assert messages_tile(page) == f"{N // 2:,}"

    page.goto(f"{base}/upload")
    settle(page)
    page.locator('input[type="file"]').set_input_files([str(p) for p in later])
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Ingest").click()
    page.get_by_text("Result per file").wait_for()
    settle(page)
    page.screenshot(path=ARTIFACTS / "upload-result.png", full_page=True)

    page.goto(f"{base}/")
    settle(page)
    assert messages_tile(page) == f"{N:,}"

    # Click the bar of a failure category, then the first code row: the code's details and
    # its carriers appear; then go to the messages behind it.
    page.goto(f"{base}/failures")
    settle(page)
    # Plotly's drag layer sits on top of the bars: click where the bar is, as a user does.
    bar = page.locator(".js-plotly-plot .bars .point path").first

    def click_bar():
        box = bar.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    click_until(page, click_bar, "**category=carrier_filtered**")
    grid = page.locator('[data-testid="stDataFrame"]').nth(1)
    scroll_to(page, grid)
    page.screenshot(path=ARTIFACTS / "failures-category.png", full_page=False)

    def click_first_row():
        # Drilling re-creates the table (its key follows the drill): wait for it again.
        scroll_to(page, grid)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the first row's selection cell

    click_until(page, click_first_row, "**code=4000**")
    page.locator('[data-testid="stText"]').filter(has_text="fraud detection").first.wait_for()
    page.screenshot(path=ARTIFACTS / "failures-code.png", full_page=True)

    # Back clears the drill and it stays cleared: the bar and row picked before must not put
    # it back on the next rerun. Then the same clicks drill in again.
    page.get_by_role("button", name="Back to all failures").click()
    page.wait_for_function("() => !location.search.includes('category=')")
    settle(page)
    page.wait_for_timeout(1000)
    assert "category=" not in page.url and "code=" not in page.url, page.url
    assert not page.get_by_role("button", name="Back to all failures").count()
    click_until(page, click_bar, "**category=carrier_filtered**")
    assert "code=" not in page.url, page.url  # a new list of codes starts unselected
    click_until(page, click_first_row, "**code=4000**")
    # A carrier row of the code opens that carrier's failed messages (every failure in the
    # known store went out on Verizon).
    carriers = page.locator('[data-testid="stDataFrame"]').nth(2)
    scroll_to(page, carriers)

    def click_first_carrier():
        box = carriers.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)

    click_until(page, click_first_carrier, "**/messages?**carrier=Verizon**")
    assert "outcome=failed" in page.url and "code=4000" in page.url, page.url

    failed = sum(1 for m in dashboard_store.MESSAGES if m["outcome"] == "failed")
    # Every matching message, built when clicked (the label says how many).
    with page.expect_download() as download_info:
        page.get_by_role("button", name=f"Download all {failed:,} as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert len(rows) == failed
    assert {r["code"] for r in rows} == {"4000"}
    assert all(r["recipient"].startswith("••••") for r in rows)
    assert HOSTILE_CAMPAIGN in {r["campaign"] for r in rows}

    for name in PAGES:
        page.goto(f"{base}/{'' if name == 'overview' else name}")  # the default page is /
        settle(page)
        assert not page.locator('[data-testid="stException"]').count(), name
        assert not page.get_by_text("Page not found").count(), name
        # A log value with markup must arrive as text, never as an element.
        assert page.locator("img[src='x']").count() == 0, name
        # Headless Chromium may never fetch the favicon: check where it points instead.
        icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
        assert not outside_requests([urljoin(page.url, icon)]), (name, icon)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    page.close()
    # Fonts, icons, favicon, Plotly: everything comes from the dashboard's own server.
    assert any(urlsplit(u).path.endswith(".woff2") for u in requests), "no fonts were loaded?"
    assert outside_requests(requests) == [], sorted(set(outside_requests(requests)))


def test_every_page_in_a_dark_theme(server, browser):
    """A browser that prefers dark gets Streamlit's dark theme; every page still renders, and
    its screenshot (dark-*.png) is there to look at: a chart colour that vanishes on a dark
    background shows up here."""
    base, _, _ = server
    context = browser.new_context(color_scheme="dark", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    for name in PAGES:
        page.goto(f"{base}/{'' if name == 'overview' else name}")
        settle(page)
        assert not page.locator('[data-testid="stException"]').count(), name
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]'))"
            ".backgroundColor"
        )
        channels = [int(c) for c in background[background.index("(") + 1 : -1].split(",")[:3]]
        assert max(channels) < 64, (name, background)  # dark, not Streamlit's light default
        page.screenshot(path=ARTIFACTS / f"dark-{name}.png", full_page=True)
    context.close()


def test_no_deploy_button_and_no_developer_menu(server, browser):
    base, _, _ = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{base}/")
    settle(page)
    assert page.locator('[data-testid="stSidebarNav"]').count()  # the app itself is there
    assert not page.locator('[data-testid="stAppDeployButton"]').count()
    assert not page.get_by_role("button", name="Deploy").count()
    # --client.toolbarMode viewer keeps the viewer's menu (theme, print, record screen) and
    # drops the developer's items; in developer mode the menu holds all of these.
    page.locator('[data-testid="stMainMenuButton"]').click()
    menu = page.locator('[data-testid="stMainMenuPopover"]')
    menu.wait_for()
    items = menu.inner_text()
    assert "Print" in items, items
    for developer_item in ("Rerun", "Auto rerun", "Clear cache", "Deploy", "Developer"):
        assert developer_item not in items, items
    page.keyboard.press("Escape")
    page.close()


def test_the_cli_ingests_and_reports_while_a_browser_session_reads(server, browser, tmp_path):
    """A live dashboard session, and meanwhile two `ingest`s and a `report` from the CLI (a
    cron job beside it): all succeed, the session's page runs go on (waiting for a writer
    when one holds the store), and the page shows the new numbers afterwards."""
    base, _, db = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    page.goto(f"{base}/")
    settle(page)
    before = int(messages_tile(page).replace(",", ""))
    size = 150_000  # big enough that an ingest takes seconds, so page runs meet it
    files = [tmp_path / f"cli{batch}.csv" for batch in range(2)]
    con = duckdb.connect()
    for batch, path in enumerate(files):
        con.execute(
            f"""COPY (
                SELECT 'cli{batch}-' || i AS message_id, 'azure_acs' AS provider, 'sms' AS channel,
                       strftime(TIMESTAMP '2026-11-10 10:00:00' + to_seconds(i % 3600),
                                '%Y-%m-%dT%H:%M:%SZ') AS sent_at,
                       strftime(TIMESTAMP '2026-11-10 10:00:20' + to_seconds(i % 3600),
                                '%Y-%m-%dT%H:%M:%SZ') AS event_at,
                       CASE WHEN i % 5 = 0 THEN '4000' ELSE '2000' END AS status_code,
                       'Verizon' AS carrier
                FROM range({size}) t(i)) TO '{path}' (HEADER)"""
        )
    con.close()
    commands = [
        [str(CLI), "ingest", str(files[0]), "--db", str(db), "--format", "json"],
        [str(CLI), "report", "--db", str(db), "--by", "code", "--format", "json"],
        [str(CLI), "ingest", str(files[1]), "--db", str(db), "--format", "json"],
    ]
    procs = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    # The same session keeps moving between pages (the sidebar's links: no new session)
    # while the commands run; count the page runs that began while an ingest was running.
    runs_during_ingest = runs = 0
    while any(p.poll() is None for p in procs) or runs < 2:
        ingesting = procs[0].poll() is None or procs[2].poll() is None
        target = "Failures" if runs % 2 == 0 else "Overview"
        page.locator('[data-testid="stSidebarNav"]').get_by_text(target, exact=True).click()
        settle(page)
        assert not page.locator('[data-testid="stException"]').count()
        runs += 1
        runs_during_ingest += ingesting
    outputs = [p.communicate() for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    assert [json.loads(outputs[i][0])["totals"]["loaded"] for i in (0, 2)] == [size, size]
    reported = json.loads(outputs[1][0])["totals"]["messages"]
    assert reported in (before, before + size, before + 2 * size)
    assert runs_during_ingest >= 1, (runs, runs_during_ingest)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Overview", exact=True).click()
    settle(page)
    assert messages_tile(page) == f"{before + 2 * size:,}"
    page.close()


def test_comparison_then_failure_rate_chart_then_its_messages(server, browser):
    """The analyst's walk: what changed on the Overview, the failure rate over time of the
    code behind it, and a click on one day's point opens that day's failed messages."""
    base, _, _ = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{base}/")
    settle(page)
    page.get_by_text("What changed", exact=True).wait_for()
    page.locator('[data-testid="stSidebarNav"]').get_by_text(
        "Failure rate over time", exact=True
    ).click()
    settle(page)
    assert "grain=" in page.url
    point = page.locator(".js-plotly-plot .scatterlayer .points path").first

    def click_point():
        box = point.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    click_until(page, click_point, "**/messages?**code=4000**")
    # The day's window (a since on the data's first day is left out of the URL: it is the
    # default).
    assert "outcome=failed" in page.url and "until=" in page.url, page.url
    settle(page)
    shown = page.get_by_text("matching messages, newest first")
    shown.first.wait_for()
    page.screenshot(path=ARTIFACTS / "walk-messages.png", full_page=True)
    caption = shown.first.inner_text()
    # One day's failures of 4000, not the whole range's.
    failed_per_day = max(
        sum(
            1
            for m in dashboard_store.MESSAGES
            if m["outcome"] == "failed" and m["sent_at"].date() == d
        )
        for d in {m["sent_at"].date() for m in dashboard_store.MESSAGES}
    )
    total = (
        int(caption.split("all ")[1].split(" ")[0].replace(",", "")) if "all " in caption else None
    )
    assert total is not None and 0 < total <= failed_per_day, caption
    page.close()
