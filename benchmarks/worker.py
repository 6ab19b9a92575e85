"""One benchmark step, run in its own process by benchmarks/run.py.

    .venv/bin/python benchmarks/worker.py STEP JSON-ARGS

Prints one JSON object on the last line of stdout: the timings measured inside the process
(imports and interpreter start-up excluded) and this process's peak RSS (VmHWM);
run.py adds the wall time.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import statistics
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import references  # noqa: E402
from benchmarks.references import timed  # noqa: E402

CLI_COMMANDS = {
    "report --by code": ["report", "--by", "code"],
    "report --by carrier,day": ["report", "--by", "carrier,day"],
    "spikes --grain day": ["spikes", "--grain", "day"],
    "spikes --grain hour": ["spikes", "--grain", "hour"],
}


def run_cli(argv: list[str]) -> tuple[int, str]:
    from deliverability.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, out.getvalue()


# -- ingest ---------------------------------------------------------------------------------


def step_ingest(args: dict) -> dict:
    """`deliverability ingest FILES --db DB --format json`, in this process."""
    argv = [
        "ingest",
        *args["files"],
        "--db",
        args["db"],
        "--format",
        "json",
        *args.get("extra", []),
    ]
    seconds, (code, out) = timed(run_cli, argv)
    report = json.loads(out)
    if code != 0:
        raise SystemExit(f"ingest failed ({code}): {report}")
    return {"seconds": seconds, "totals": report["totals"], "files": report["files"]}


# -- views ----------------------------------------------------------------------------------


def dashboard_filters(con):
    """What the sidebar starts with: the store's whole time range, nothing else."""
    from deliverability.queries import Filters
    from deliverability.queries.messages import time_range

    span = time_range(con)
    first, last = span["first_at"].date(), span["last_at"].date()
    return Filters.build(since=first, until=last + timedelta(days=1))


def page_calls(con) -> dict[str, list]:
    """The query functions each dashboard page calls (dashboard/data.py), with the
    arguments the page passes by default. Every page also draws the sidebar."""
    from importlib import import_module

    from deliverability.queries import compare, failures, review, spikes, timeseries
    from deliverability.queries.compare import previous_period

    # `queries.status` the module (the package exports a function of the same name).
    mq, sq = (
        import_module("deliverability.queries.messages"),
        import_module("deliverability.queries.status"),
    )

    current = dashboard_filters(con)
    previous = previous_period(current)
    sidebar = [("filter_options", mq.filter_options, ()), ("time_range", mq.time_range, ())]
    # The Spikes page opens at day grain (hour is one click away; the CLI step times both).
    spike_settings = spikes.SpikeSettings(grain="day")

    def top_spike_series(c):
        found = spikes.find_spikes(c, current, spike_settings)
        if found.is_empty():
            return found
        top = found.row(0, named=True)
        return spikes.code_series(
            c, current, top["provider"], top["channel"], top["code"], spike_settings
        )

    def first_message_events(c):
        frame = mq.messages_in_selection(c, current)
        top = frame.row(0, named=True)
        return mq.message_events(
            c, top["provider"], top["message_id"], top["message_at"], top["event_count"]
        )

    return {
        "overview": [
            *sidebar,
            ("headline", compare.headline, (current, previous)),
            ("has_send_log", sq.has_send_log, ()),
            ("outcomes_over_time", timeseries.outcomes_over_time, (current, "day")),
            (
                "failure_breakdown(category)",
                failures.failure_breakdown,
                (current,),
                {"level": "category"},
            ),
            (
                "compare_periods(code)",
                compare.compare_periods,
                (["code"], current, previous),
                {"min_messages": 50},
            ),
        ],
        "failures": [
            *sidebar,
            (
                "failure_breakdown(category)",
                failures.failure_breakdown,
                (current,),
                {"level": "category"},
            ),
            ("failure_breakdown(code)", failures.failure_breakdown, (current,), {"level": "code"}),
            (
                "failure_heatmap(code x carrier)",
                failures.failure_heatmap,
                (current,),
                {"rows": "code", "columns": "carrier", "top": 15},
            ),
        ],
        "spikes": [
            *sidebar,
            ("find_spikes + code_series", top_spike_series, ()),
        ],
        "messages": [
            *sidebar,
            ("messages_in_selection + message_events", first_message_events, ()),
        ],
        "catalog": [
            *sidebar,
            ("catalog_search", mq.catalog_search, (), {"filters": current}),
            ("uncatalogued_codes", sq.uncatalogued_codes, (current,)),
        ],
        # The page asks for the weeks, then the default week's review (the last complete one).
        "review": [
            *sidebar,
            ("available_weeks", review.available_weeks, ()),
            ("weekly_review", review.weekly_review, ()),
        ],
        "upload": [
            *sidebar,
            ("quarantined_rows", sq.quarantined_rows, ()),
            ("ingest_ledger", sq.ingest_ledger, ()),
        ],
    }


def run_page(con, calls: list) -> dict[str, float]:
    times = {}
    for call in calls:
        name, fn, fargs = call[:3]
        kwargs = call[3] if len(call) > 3 else {}
        times[name] = timed(fn, con, *fargs, **kwargs)[0]
    return times


def step_page(args: dict) -> dict:
    """One page's queries as the dashboard process runs them: the first pass in a fresh
    process (cold), then `warm` more passes (median). Results are not cached here, unlike
    the dashboard's st.cache_data: these are the costs behind a cache miss."""
    from deliverability.store import Store

    t_open, store = timed(Store.open, Path(args["db"]))
    con = store.cursor()
    calls = page_calls(con)[args["page"]]
    cold = run_page(con, calls)
    warm_runs = [run_page(con, calls) for _ in range(args.get("warm", 5))]
    warm = {k: statistics.median(r[k] for r in warm_runs) for k in cold}
    return {
        "open_seconds": t_open,
        "cold": sum(cold.values()),
        "warm": statistics.median(sum(r.values()) for r in warm_runs),
        "cold_calls": cold,
        "warm_calls": warm,
    }


def step_all_pages(args: dict) -> dict:
    """Every page in one process, as a dashboard serving all of them: its peak RSS."""
    from deliverability.store import Store

    store = Store.open(Path(args["db"]))
    con = store.cursor()
    pages = page_calls(con)
    totals = {}
    for _ in range(args.get("passes", 3)):
        for page, calls in pages.items():
            totals.setdefault(page, []).append(sum(run_page(con, calls).values()))
    return {"pages": {p: statistics.median(v) for p, v in totals.items()}}


RENDERED_PAGES = (
    "overview", "failures", "spikes", "messages", "catalog", "review", "upload",
)  # fmt: skip


def step_render(args: dict) -> dict:
    """Every dashboard page rendered by Streamlit (AppTest runs the real app script: queries,
    polars, Plotly figures, tables), in one process like a dashboard serving one user.

    `start` is the process's first script run (the Upload page): imports, opening the store
    (st.cache_resource) and the sidebar's filter options, paid once per dashboard process.
    Then the first visit of each page (its results not cached yet) and a second visit
    (results cached on filters and store version). Browser painting is not included: it
    draws aggregates, whatever the store's size."""
    os.environ["DELIVERABILITY_DB"] = args["db"]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
    at.switch_page("views/upload.py")
    start = timed(at.run)[0]
    if at.exception:
        raise SystemExit(f"upload: {[e.value for e in at.exception]}")
    result: dict = {"start": start, "first": {}, "again": {}}
    for visit in ("first", "again"):
        for page in RENDERED_PAGES:
            at.switch_page(f"views/{page}.py")
            seconds = timed(at.run)[0]
            if at.exception:
                raise SystemExit(f"{page}: {[e.value for e in at.exception]}")
            result[visit][page] = seconds
    return result


def step_cli(args: dict) -> dict:
    """A report/spikes command through the CLI's main(): first call (cold, fresh process),
    then `warm` more calls in the same process (median). Each call opens the store."""
    argv = [*CLI_COMMANDS[args["command"]], "--db", args["db"], "--format", "json"]
    cold, (code, out) = timed(run_cli, argv)
    if code not in (0, 3):  # spikes exits 3 with --fail-on-spike only
        raise SystemExit(f"{argv} exited {code}")
    warm = [timed(run_cli, argv)[0] for _ in range(args.get("warm", 5))]
    return {"cold": cold, "warm": statistics.median(warm), "output_bytes": len(out)}


def step_query(args: dict) -> dict:
    """The query function behind a CLI command, on one open store (no store opening)."""
    from deliverability import queries
    from deliverability.queries import Filters
    from deliverability.queries.spikes import SpikeSettings, find_spikes
    from deliverability.store import Store

    store = Store.open(Path(args["db"]))
    con = store.cursor()
    command = args["command"]
    if command.startswith("report"):
        by = CLI_COMMANDS[command][2].split(",")

        def fn():
            queries.report(con, by, Filters())
            queries.totals(con, Filters())
    else:
        grain = CLI_COMMANDS[command][2]

        def fn():
            find_spikes(con, Filters(), SpikeSettings(grain=grain))

    cold = timed(fn)[0]
    warm = [timed(fn)[0] for _ in range(args.get("warm", 5))]
    return {"cold": cold, "warm": statistics.median(warm)}


# Ours; the references (DuckDB's floors, pandas) are in references.py.
STEPS = {
    "ingest": step_ingest,
    "page": step_page,
    "all_pages": step_all_pages,
    "render": step_render,
    "cli": step_cli,
    "query": step_query,
} | references.STEPS


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    step, raw = sys.argv[1], sys.argv[2]
    if step not in references.STEPS:
        # Imports are process start-up, not the step: load them before the clock starts.
        import deliverability.cli  # noqa: F401
        import deliverability.ingest  # noqa: F401
        import deliverability.queries.spikes  # noqa: F401
    result = STEPS[step](json.loads(raw))
    # ru_maxrss: this process's peak resident set (KiB on Linux), DuckDB's threads included.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # Peak RSS of this process: VmHWM (ru_maxrss would also count what the parent held when
    # it forked us: Linux keeps the high-water mark across exec).
    result["peak_rss_mb"] = peak_rss_mb()
    # CPU time of the whole process (start-up included): less sensitive than wall time to
    # other work on the machine. And the 1-minute load average when the step ended.
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["loadavg"] = os.getloadavg()[0]
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
