"""The benchmark: ingest and every view at several sizes, against DuckDB's floor and pandas.

    .venv/bin/python benchmarks/run.py --sizes 1M,3M,10M [--runs 3] [--views-only] [--session]
    .venv/bin/python benchmarks/run.py --session-only [--rounds 5] [--sessions 3]

For each size: generate the files (benchmarks/data/SIZE, reused when present), then run
each step in a fresh subprocess, RUNS times, and keep the median. Each subprocess reports
its own timings (imports excluded) and run.py adds its wall time; the worker reports its own peak RSS (getrusage).
Results go to benchmarks/results/SIZE.json; benchmarks/report.py turns them into
benchmarks/RESULTS.md (run.py calls it at the end).

--session (or --session-only) also times a fresh browser session's first page of the
dashboard on the demo store, in headless Chromium, against a reference page in the same run
(benchmarks/session.py); results/session.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate, parse_size  # noqa: E402

PYTHON = sys.executable
DATA = HERE / "data"
RESULTS = HERE / "results"
CLI_COMMANDS = (
    "report --by code",
    "report --by carrier,day",
    "spikes --grain day",
    "spikes --grain hour",
)
PAGES = ("overview", "failures", "spikes", "messages", "catalog", "review", "upload")


def reexport(path: Path, run: int) -> Path:
    """The rows of PATH in a new file, its columns in another order (rotated by RUN + 1): a
    re-export of the same data. Its bytes differ, so it is neither the ledger's short cut
    (same fingerprint) nor a replacement of PATH (same content, other options): every row
    goes through the full de-duplication against the stored rows. Made once, reused."""
    target = path.with_name(f"{path.stem}.reexport{run}{path.suffix}")
    if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
        return target
    import duckdb

    con = duckdb.connect()
    columns = [r[0] for r in con.execute(
        "DESCRIBE SELECT * FROM read_csv(?, all_varchar=true)", [str(path)]
    ).fetchall()]  # fmt: skip
    shift = (run + 1) % len(columns)
    order = ", ".join(f'"{c}"' for c in columns[shift:] + columns[:shift])
    con.execute(
        f"COPY (SELECT {order} FROM read_csv(?, all_varchar=true)) TO '{target}' (HEADER)",  # noqa: S608
        [str(path)],
    )
    con.close()
    return target


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def worker(step: str, args: dict, env: dict | None = None) -> dict:
    """Run benchmarks/worker.py STEP in a fresh process: its result + wall + peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, str(HERE / "worker.py"), step, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{step} failed ({proc.returncode}): {err.decode()[-3000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["wall"] = wall
    return result


def process_seconds(argv: list[str], runs: int) -> float:
    """The `deliverability` console script run as a user runs it, timed from outside
    (Python's start and every import included): the median of RUNS."""
    script = Path(PYTHON).parent / "deliverability"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(script), *argv], check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def summarize(
    runs: list[dict], keys=("seconds", "wall", "peak_rss_mb", "cpu_seconds", "loadavg")
) -> dict:
    out = {k: med(runs, k) for k in keys if all(k in r for r in runs)}
    out["runs"] = [{k: r[k] for k in keys if k in r} for r in runs]
    return out


def store_size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def native_reader_available() -> str | None:
    from deliverability.readers import reader_names

    return "twilio_bulk_export" if "twilio_bulk_export" in reader_names() else None


# What --views-only keeps from the previous results: everything measured by ingesting.
INGEST_SIDE = (
    "floor_ingest", "floor_derive", "ingest", "reingest", "overlap_reingest",
    "store_bytes_after_reingest", "pandas", "native",
)  # fmt: skip


def bench_size(label: str, runs: int, warm: int, skip: set[str], views_only: bool = False) -> dict:
    n = parse_size(label)
    folder = DATA / label
    log(f"{label}: generating into {folder}")
    # In a subprocess: the generator's memory must not count in the workers' peak RSS.
    subprocess.run(
        [PYTHON, str(HERE / "generate.py"), label, "--out", str(DATA)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    manifest = generate(n, folder)  # reads the manifest just written
    sends, events = str(folder / "sends.csv"), str(folder / "events.csv")
    native = str(folder / "twilio_bulk.ndjson.gz")
    work = DATA / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "store.duckdb"
    result: dict = {"size": label, "n": n, "manifest": manifest}

    def fresh(path: Path) -> str:
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
        return str(path)

    if views_only:
        # Ingest-side measurements are kept from the last full run (say at which commit).
        previous = json.loads((RESULTS / f"{label}.json").read_text())
        for key in INGEST_SIDE:
            if key in previous:
                result[key] = previous[key]
        result["ingest_side_commit"] = previous.get("ingest_side_commit") or previous[
            "machine"
        ].get("commit")
        log(f"{label}: building the store for the views (one ingest, not measured)")
        worker("ingest", {"db": fresh(db), "files": [sends, events]})
    else:
        measure_ingest_side(label, runs, result, work, db, fresh, sends, events, native, skip)
    measure_views(label, runs, warm, result, db)
    result["machine"] = machine()
    shutil.rmtree(work, ignore_errors=True)
    return result


def measure_ingest_side(
    label: str,
    runs: int,
    result: dict,
    work: Path,
    db: Path,
    fresh: Callable[[Path], str],
    sends: str,
    events: str,
    native: str,
    skip: set[str],
) -> None:
    """Ingest, re-ingests, DuckDB's plain load, pandas and the native format into RESULT."""
    manifest = result["manifest"]
    log(f"{label}: DuckDB floor load (CREATE TABLE AS read_csv)")
    floor = [
        worker("floor_ingest", {"db": fresh(work / "floor.duckdb"), "files": [sends, events]})
        for _ in range(runs)
    ]
    result["floor_ingest"] = summarize(floor) | {"size_bytes": store_size(work / "floor.duckdb")}
    fresh(work / "floor.duckdb")

    log(f"{label}: DuckDB floor with derivation (plain load + floor_derive.sql)")
    derive_args = {"db": "", "sends": sends, "events": events}
    floor_derive = []
    for _ in range(runs):
        floor_derive.append(worker("floor_derive", derive_args | {"db": fresh(work / "fd.duckdb")}))
        log(
            f"  load {floor_derive[-1]['load_seconds']:.1f}s + derive {floor_derive[-1]['derive_seconds']:.1f}s"
        )
    result["floor_derive"] = summarize(
        floor_derive,
        (
            "seconds",
            "load_seconds",
            "derive_seconds",
            "wall",
            "peak_rss_mb",
            "cpu_seconds",
            "loadavg",
        ),
    ) | {"memory_limit": floor_derive[-1]["memory_limit"], "check": floor_derive[-1]["check"]}
    assert floor_derive[-1]["check"]["messages"] == manifest["messages"], floor_derive[-1]
    fresh(work / "fd.duckdb")

    log(f"{label}: ingest into a fresh store x{runs}")
    ingests = []
    for _ in range(runs):
        ingests.append(worker("ingest", {"db": fresh(db), "files": [sends, events]}))
        log(f"  ingest {ingests[-1]['seconds']:.1f}s, {ingests[-1]['peak_rss_mb']:.0f} MB")
    totals = ingests[-1]["totals"]
    assert totals["rows_read"] == manifest["sends"] + manifest["events"], totals
    assert totals["rows_read"] == totals["loaded"] + totals["duplicates"] + totals["rejected"]
    result["ingest"] = summarize(ingests) | {
        "totals": totals,
        "store_bytes": store_size(db),
    }

    log(f"{label}: re-ingest of the same files x{runs}")
    again = [worker("ingest", {"db": str(db), "files": [sends, events]}) for _ in range(runs)]
    for r in again:
        assert r["totals"]["loaded"] == 0, f"re-ingest added rows: {r['totals']}"
    result["reingest"] = summarize(again) | {"totals": again[-1]["totals"]}

    log(f"{label}: re-export re-ingest (new files, same rows: full dedupe path) x{runs}")
    copies = [[str(reexport(Path(f), i)) for f in (sends, events)] for i in range(runs)]
    overlap = []
    for files in copies:
        overlap.append(worker("ingest", {"db": str(db), "files": files}))
        assert overlap[-1]["totals"]["loaded"] == 0, f"overlap added rows: {overlap[-1]['totals']}"
    result["overlap_reingest"] = summarize(overlap) | {"totals": overlap[-1]["totals"]}
    result["store_bytes_after_reingest"] = store_size(db)

    if "pandas" not in skip:
        log(f"{label}: the pandas notebook pipeline x{runs}")
        pandas_runs = [worker("pandas", {"sends": sends, "events": events}) for _ in range(runs)]
        result["pandas"] = summarize(
            pandas_runs, ("seconds", "read_seconds", "wall", "peak_rss_mb")
        )
        result["pandas"]["check"] = {
            k: pandas_runs[-1][k] for k in ("messages", "delivered", "pandas")
        }
        # Two hand-made derivations of the same files must agree.
        for key in ("messages", "delivered"):
            assert result["pandas"]["check"][key] == result["floor_derive"]["check"][key], key

    reader = native_reader_available()
    if reader and "native" not in skip:
        log(f"{label}: native format ({reader}) ingest x{runs}")
        result["native"] = {"reader": reader, "file": Path(native).name}
        try:
            nat = [
                worker("ingest", {"db": fresh(work / "native.duckdb"), "files": [native]})
                for _ in range(runs)
            ]
            result["native"]["ingest"] = summarize(nat) | {
                "totals": nat[-1]["totals"],
                "readers": [f["reader"] for f in nat[-1]["files"]],
            }
        except RuntimeError as exc:
            # A failure is a result too (the reader is not ours): record it and go on.
            log(f"  native ingest failed: {str(exc)[-400:]}")
            result["native"]["error"] = str(exc)[-1500:]
        nfloor = [
            worker("floor_ingest", {"db": fresh(work / "native_floor.duckdb"), "files": [native]})
            for _ in range(runs)
        ]
        result["native"]["floor"] = summarize(nfloor)
    else:
        result["native"] = {
            "reader": None,
            "note": "no Twilio Bulk Export reader in deliverability/readers/",
        }


def measure_views(label: str, runs: int, warm: int, result: dict, db: Path) -> None:
    """The reports, the dashboard pages' queries and renders, and their DuckDB floors."""
    log(f"{label}: CLI commands, cold (fresh process) and warm")
    result["cli"] = {}
    result["query"] = {}
    for command in CLI_COMMANDS:
        cli = [
            worker("cli", {"db": str(db), "command": command, "warm": warm}) for _ in range(runs)
        ]
        result["cli"][command] = summarize(cli, ("cold", "warm", "wall", "peak_rss_mb"))
        query = [
            worker("query", {"db": str(db), "command": command, "warm": warm}) for _ in range(runs)
        ]
        result["query"][command] = summarize(query, ("cold", "warm", "peak_rss_mb"))
        log(f"  {command}: query warm {result['query'][command]['warm']:.3f}s")

    log(f"{label}: whole processes as a user starts them (issue 25)")
    result["process"] = {
        "report --by code": process_seconds(
            ["report", "--by", "code", "--db", str(db), "--format", "json"], max(runs, 3)
        ),
        "--help": process_seconds(["--help"], max(runs, 3)),
    }
    log(
        f"  report --by code {result['process']['report --by code']:.2f}s, --help {result['process']['--help']:.2f}s"
    )

    log(f"{label}: dashboard pages, cold (fresh process) and warm")
    result["pages"] = {}
    for page in PAGES:
        got = [worker("page", {"db": str(db), "page": page, "warm": warm}) for _ in range(runs)]
        calls = {
            name: {
                "cold": statistics.median(g["cold_calls"][name] for g in got),
                "warm": statistics.median(g["warm_calls"][name] for g in got),
            }
            for name in got[0]["cold_calls"]
        }
        result["pages"][page] = summarize(got, ("cold", "warm", "open_seconds", "peak_rss_mb")) | {
            "calls": calls
        }
        log(
            f"  {page}: warm {result['pages'][page]['warm']:.3f}s cold {result['pages'][page]['cold']:.3f}s"
        )
    result["dashboard_process"] = worker("all_pages", {"db": str(db), "passes": 3})
    log(f"{label}: every page rendered by Streamlit (AppTest) x{runs}")
    renders = [worker("render", {"db": str(db)}) for _ in range(runs)]
    result["render"] = {
        visit: {
            page: statistics.median(r[visit][page] for r in renders) for page in renders[0][visit]
        }
        for visit in ("first", "again")
    } | {
        "start": statistics.median(r["start"] for r in renders),
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in renders),
    }

    log(f"{label}: hand-written DuckDB floors for the views")
    floors = [worker("floor_views", {"db": str(db), "warm": warm}) for _ in range(runs)]
    result["floor_views"] = {
        name: {
            "cold": statistics.median(f[name]["cold"] for f in floors),
            "warm": statistics.median(f[name]["warm"] for f in floors),
        }
        for name in floors[0]
        if isinstance(floors[0][name], dict)
    }


def bench_session(rounds: int, sessions: int) -> None:
    from benchmarks.session import measure

    log(f"first page in a browser: {rounds} server starts, {sessions} sessions each")
    result = measure(DATA / "session", rounds, sessions, log=log)
    result["machine"] = machine()
    (RESULTS / "session.json").write_text(json.dumps(result, indent=1, default=str))
    log(f"first page: results in {RESULTS / 'session.json'}")
    shutil.rmtree(DATA / "session", ignore_errors=True)


def machine() -> dict:
    import duckdb
    import polars

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "deliverability", "queries", "dashboard"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    return {
        "commit": commit + (" (+ uncommitted changes)" if dirty else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M", help="comma-separated, e.g. 1M,3M,10M")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--warm", type=int, default=5, help="warm repetitions per process")
    parser.add_argument("--skip", default="", help="comma-separated: pandas, native")
    parser.add_argument("--keep-data", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--views-only",
        action="store_true",
        help="measure the reports and pages again; keep the ingest, pandas and native "
        "measurements of the previous results/SIZE.json (after a change to views only)",
    )
    parser.add_argument(
        "--session",
        action="store_true",
        help="also time a fresh browser session's first page on the demo store (session.py)",
    )
    parser.add_argument("--session-only", action="store_true", help="only that, no sizes")
    parser.add_argument("--rounds", type=int, default=5, help="session: server starts")
    parser.add_argument("--sessions", type=int, default=3, help="session: sessions per start")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.session or args.session_only:
        bench_session(args.rounds, args.sessions)
    if args.session_only:
        from benchmarks.report import write_results

        write_results()
        return
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    for label in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        result = bench_size(label, args.runs, args.warm, skip, args.views_only)
        (RESULTS / f"{label}.json").write_text(json.dumps(result, indent=1, default=str))
        log(f"{label}: results in {RESULTS / f'{label}.json'}")
        if not args.keep_data:
            shutil.rmtree(DATA / label, ignore_errors=True)
    from benchmarks.report import write_results

    write_results()


if __name__ == "__main__":
    main()
