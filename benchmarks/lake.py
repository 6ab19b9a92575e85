"""The lake at scale: `lake build` on DuckDB and on Spark (local[2]) next to the embedded
ingest, on the benchmark's generated logs (benchmarks/generate.py).

    .venv/bin/python benchmarks/lake.py --sizes 1M,3M        # ~40 min on 2 cores

Each step is the real command line in a fresh process, timed from outside (Python and, for
Spark, the JVM's start included): `ingest` into a new store; `lake build` into a new lake on
each engine; a second build with late events (an hour after 20,000 of the messages' reports,
so their days are derived again); `report --by carrier,day` and `spikes --grain day` on
the store and on each lake. The lake's tables are checked against the store's (row counts
of messages and the rollups) before anything is recorded.

Local mode shows that the derivation is correct and spread over partitions, not what a
cluster does: two cores, one JVM, Spark's per-job overhead and no network. Results:
benchmarks/results/lake/SIZE.json; benchmarks/RESULTS.md has the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate, parse_size  # noqa: E402

CLI = Path(sys.executable).parent / "deliverability"
DATA = HERE / "data"
# A folder of its own: benchmarks/report.py reads every results/*.json as a size.
RESULTS = HERE / "results" / "lake"
SPARK = ["--engine", "spark", "--spark-master", "local[2]"]
# The driver is the only executor in local mode: Spark's default 1 GB is too small at 3M.
SPARK_ENV = {"PYSPARK_SUBMIT_ARGS": "--driver-memory 6g pyspark-shell"}


def timed(*args: str, env: dict | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if proc.returncode != 0:
        raise SystemExit(f"deliverability {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return round(time.perf_counter() - started, 2)


def late_events(events: Path, out: Path, count: int = 20_000) -> Path:
    """COUNT reports an hour after some of EVENTS' (new to the lake: another time)."""
    import duckdb

    later = "SELECT * REPLACE (CAST(event_at AS TIMESTAMP) + INTERVAL 1 HOUR AS event_at) "
    source = f"FROM read_csv('{events}', all_varchar = true) LIMIT {int(count)}"
    duckdb.execute(f"COPY ({later}{source}) TO '{out}' (HEADER)")
    return out


def counts(args: list[str]) -> tuple:
    import duckdb

    if args[0] == "--db":
        con = duckdb.connect(args[1], read_only=True)
    else:
        from deliverability.lake.read import duckdb_over_lake

        con = duckdb_over_lake(args[1])
    found = tuple(
        con.execute(f"SELECT count(*), sum({m}) FROM {t}").fetchone()  # noqa: S608
        for t, m in (
            ("messages", "1"),
            ("rollup_code_hour", "messages"),
            ("rollup_dims_day", "messages"),
            ("rollup_latency_day", "messages"),
        )  # fmt: skip
    )
    con.close()
    return found


def bench(label: str, work: Path) -> dict:
    folder = DATA / label
    if not (folder / "manifest.json").exists():
        generate(parse_size(label), folder, native=False)
    sends, events = folder / "sends.csv", folder / "events.csv"
    late = late_events(events, work / "late.csv")
    store, duck, spark = work / "store.duckdb", work / "lake_duckdb", work / "lake_spark"
    manifest = json.loads((folder / "manifest.json").read_text())
    result: dict = {"size": label, "messages": manifest["messages"]}
    result["ingest_s"] = timed("ingest", str(sends), str(events), "--db", str(store))
    result["ingest_late_s"] = timed("ingest", str(late), "--db", str(store))
    for name, lake, engine, env in (("duckdb", duck, ["--engine", "duckdb"], None),
                                    ("spark", spark, SPARK, SPARK_ENV)):  # fmt: skip
        result[f"lake_{name}_s"] = timed(
            "lake", "build", str(sends), str(events), "--lake", str(lake), *engine, env=env
        )
        result[f"lake_{name}_late_s"] = timed(
            "lake", "build", str(late), "--lake", str(lake), *engine, env=env
        )
    expected = counts(["--db", str(store)])
    for lake in (duck, spark):
        found = counts(["--lake", str(lake)])
        if found != expected:
            raise SystemExit(f"{lake}: {found} differs from the store's {expected}")
    result["lake_bytes"] = sum(p.stat().st_size for p in duck.rglob("*.parquet"))
    result["store_bytes"] = store.stat().st_size
    for command in (["report", "--by", "carrier,day"], ["spikes", "--grain", "day"]):
        key = "_".join(command).replace("--", "").replace(",", "_")
        result[f"{key}_store_s"] = timed(*command, "--db", str(store))
        result[f"{key}_lake_duckdb_s"] = timed(*command, "--lake", str(duck))
        result[f"{key}_lake_spark_s"] = timed(*command, "--lake", str(spark), *SPARK, env=SPARK_ENV)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,3M")
    parser.add_argument("--work", type=Path, default=Path("/tmp/deliverability-lake-bench"))
    options = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for label in options.sizes.split(","):
        shutil.rmtree(options.work, ignore_errors=True)
        options.work.mkdir(parents=True)
        result = bench(label, options.work)
        (RESULTS / f"{label}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        shutil.rmtree(options.work, ignore_errors=True)


if __name__ == "__main__":
    main()
