"""A fresh browser session's first page, as a user waits for it: `deliverability dashboard
--demo` on the demo store (the sample logs, as `python3 dev.py dashboard` starts it), timed
in headless Chromium (Debian's, driven by Playwright as tests/test_browser.py does) until the
Overview's content is drawn.

    .venv/bin/python benchmarks/run.py --session-only [--rounds 5] [--sessions 3]

Each round starts the server anew and opens, each in a new browser context (no cookies, no
HTTP cache: a browser that never saw the dashboard):

- `cold`: the first session after the server answers its health check (as the CLI opens
  the browser);
- `warm`: `sessions` more sessions on that server, one after the other;

then, in one context that has loaded the page once, `sessions` new tabs (`returning`: a new
Streamlit session in a browser whose HTTP cache holds Streamlit's scripts); and it starts the
server again and opens its first session 10 s after it answered (`settled`: a server started
before its first user arrives).

A page counts as drawn when the script run is over (no status widget) and the four headline
tiles show numbers, every Plotly chart on it has drawn its traces and every table its grid;
`tiles` is when the headline numbers alone are shown. Times are the page's own clock
(performance.now(): from the navigation's start), read on the first animation frame where
the condition holds.

The reference, measured in the same rounds and the same way: benchmarks/session_floor.py,
the Overview's elements drawn by Streamlit and Plotly with no store and no query (the same
server options as the CLI gives Streamlit). The machine is shared and noisy: medians over
rounds, and the ratio to the reference of the same run, are what to compare.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = "/usr/bin/chromium"
CLI = Path(sys.executable).parent / "deliverability"
FLOOR_APP = HERE / "session_floor.py"
# The options `deliverability dashboard` passes Streamlit that bear on what a page loads.
STREAMLIT_OPTIONS = (
    "--server.headless", "true", "--server.showEmailPrompt", "false",
    "--browser.gatherUsageStats", "false", "--logger.hideWelcomeMessage", "true",
    "--client.toolbarMode", "viewer", "--client.showErrorDetails", "none",
    "--server.fileWatcherType", "none",
)  # fmt: skip
VIEWPORT = {"width": 1400, "height": 1000}
SETTLE_SECONDS = 10.0
PAGE_TIMEOUT_MS = 120_000

# Installed before any page script: polls every animation frame and keeps the first time
# each condition held in window.__firstPage.
MARKS_SCRIPT = """
(() => {
  const marks = (window.__firstPage = {});
  const all = (selector) => [...document.querySelectorAll(selector)];
  const tick = () => {
    const now = performance.now();
    const tiles = all('[data-testid="stMetricValue"]').filter((e) => e.innerText.trim());
    const plots = all('.js-plotly-plot');
    const grids = all('[data-testid="stDataFrame"]');
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    if (marks.tiles === undefined && tiles.length >= 4) marks.tiles = now;
    if (
      marks.content === undefined && !running && tiles.length >= 4 && plots.length >= 2 &&
      plots.every((p) => p.querySelector('.trace')) &&
      grids.length >= 1 && grids.every((g) => g.querySelector('canvas'))
    ) marks.content = now;
    if (marks.content === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until the server's health check answers (polled every 20 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("the server did not answer its health check")


def first_page(context, base: str) -> dict[str, float]:
    """Open the dashboard in a new tab of CONTEXT: seconds to the tiles and to the content."""
    page = context.new_page()
    try:
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(f"{base}/", wait_until="commit")
        page.wait_for_function("() => window.__firstPage && window.__firstPage.content")
        marks = page.evaluate("window.__firstPage")
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError("the page shows an exception")
    finally:
        page.close()
    return {key: marks[key] / 1000 for key in ("tiles", "content")}


def fresh_session(browser, base: str) -> dict[str, float]:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(MARKS_SCRIPT)
    try:
        return first_page(context, base)
    finally:
        context.close()


def serve(
    command: Callable[[int], list[str]], log: Path, env: dict
) -> tuple[subprocess.Popen, str, float]:
    """Start COMMAND(port) on a free port: (process, its URL, seconds until it answered)."""
    port = free_port()
    proc = subprocess.Popen(
        command(port),
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        return proc, base, wait_healthy(base, proc)
    except BaseException:
        stop(proc)
        raise


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def one_round(
    browser, command: Callable[[int], list[str]], sessions: int, log: Path, env: dict
) -> dict:
    """Start the server, then its cold session, warm sessions and returning tabs; start it
    again, and open its first session SETTLE_SECONDS after it answered."""
    launched = time.perf_counter()
    proc, base, health = serve(command, log, env)
    try:
        opened = time.perf_counter()
        cold = fresh_session(browser, base)
        result = {
            "health": health,
            # From the command to the first page drawn: what the first user waits for when
            # the browser is opened as soon as the server answers (as the CLI opens it).
            "launch_to_content": opened - launched + cold["content"],
            "cold": cold,
            "warm": [fresh_session(browser, base) for _ in range(sessions)],
        }
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(MARKS_SCRIPT)
        try:
            first_page(context, base)  # fills this browser's HTTP cache
            result["returning"] = [first_page(context, base) for _ in range(sessions)]
        finally:
            context.close()
    finally:
        stop(proc)
    # A server nobody has visited yet, some time after its start (a service started before
    # its users arrive).
    proc, base, _ = serve(command, log, env)
    try:
        time.sleep(SETTLE_SECONDS)
        result["settled"] = fresh_session(browser, base)
    finally:
        stop(proc)
    return result


def summary(rounds: list[dict]) -> dict:
    """Medians over rounds (cold, start) and over every session (warm, returning)."""

    def med(values: list[float]) -> float:
        return statistics.median(values)

    out: dict = {
        "health": med([r["health"] for r in rounds]),
        "launch_to_content": med([r["launch_to_content"] for r in rounds]),
    }
    for kind in ("cold", "settled", "warm", "returning"):
        samples = [r[kind] for r in rounds]
        if kind in ("warm", "returning"):
            samples = [s for group in samples for s in group]
        out[kind] = {key: med([s[key] for s in samples]) for key in ("tiles", "content")}
        out[kind]["n"] = len(samples)
    return out


def demo_store(folder: Path) -> Path:
    """The demo store, built once (not measured) so that every round's `--demo` finds it
    loaded, as `python3 dev.py dashboard` does on every start after the first."""
    from deliverability.demo import load_demo

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "demo.duckdb"
    load_demo(db)
    return db


def measure(folder: Path, rounds: int, sessions: int, log=print) -> dict:
    """Every round times the dashboard, then the reference page, in a new browser."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: `python3 dev.py test` installs it")
    db = demo_store(folder)
    server_log = folder / "servers.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELIVERABILITY_")}
    env["CI"] = "1"  # never open a browser of its own

    def ours(port: int) -> list[str]:
        return [str(CLI), "dashboard", "--demo", "--db", str(db), "--headless", "--port", str(port)]

    def floor(port: int) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", str(FLOOR_APP), *STREAMLIT_OPTIONS,
                "--server.port", str(port)]  # fmt: skip

    results: dict[str, list[dict]] = {"dashboard": [], "floor": []}
    with sync_playwright() as p:
        version = None
        for i in range(rounds):
            for name, command in (("dashboard", ours), ("floor", floor)):
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                version = browser.version
                try:
                    got = one_round(browser, command, sessions, server_log, env)
                finally:
                    browser.close()
                got["loadavg"] = os.getloadavg()[0]
                results[name].append(got)
                log(
                    f"  round {i + 1} {name}: start {got['health']:.2f}s, cold "
                    f"{got['cold']['content']:.2f}s, settled {got['settled']['content']:.2f}s, warm "
                    f"{statistics.median(w['content'] for w in got['warm']):.2f}s, returning "
                    f"{statistics.median(w['content'] for w in got['returning']):.2f}s"
                )
    return {
        "store": {"messages": _messages(db), "bytes": db.stat().st_size},
        "chromium": version,
        "rounds": rounds,
        "sessions": sessions,
        **{name: {"median": summary(runs), "runs": runs} for name, runs in results.items()},
    }


def _messages(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        con.close()
