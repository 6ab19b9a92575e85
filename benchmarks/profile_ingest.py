"""Time every SQL statement of an ingest: which step costs what.

    .venv/bin/python benchmarks/profile_ingest.py STORE.duckdb FILE [FILE...]

Wraps the cursor ingest uses so each execute/executemany is timed; prints the statements
sorted by time (first line of the SQL, seconds, share of the file's total, how many
times it ran).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deliverability.ingest import ingest_file  # noqa: E402
from deliverability.store import Store  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process, all threads: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TimedCursor:
    def __init__(self, cur, log: list):
        self._cur = cur
        self._log = log

    def _timed(self, name, sql, *args, **kwargs):
        started, cpu = time.perf_counter(), cpu_seconds()
        out = getattr(self._cur, name)(sql, *args, **kwargs)
        label = " ".join(str(sql).split())[:100]
        self._log.append((time.perf_counter() - started, cpu_seconds() - cpu, name, label))
        return self if out is self._cur else out

    def execute(self, sql, *args, **kwargs):
        # A script of several statements (refresh_messages.sql): time each one.
        statements = duckdb.extract_statements(sql) if not args and not kwargs else []
        if len(statements) > 1:
            for statement in statements:
                self._timed("execute", statement.query)
            return self
        return self._timed("execute", sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        return self._timed("executemany", sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def main() -> None:
    db, *files = sys.argv[1:]
    store = Store.open(Path(db))
    log: list = []
    real_cursor = store.cursor
    store.cursor = lambda: TimedCursor(real_cursor(), log)  # type: ignore[method-assign]
    for index, f in enumerate(files):
        log.clear()
        started, cpu = time.perf_counter(), cpu_seconds()
        # As ingest_files (the CLI's ingest) does: the last file derives every message.
        result = ingest_file(store, Path(f), defer_refresh=index < len(files) - 1)
        total, total_cpu = time.perf_counter() - started, cpu_seconds() - cpu
        print(
            f"\n{f}: {total:.2f}s (cpu {total_cpu:.2f}s)  read={result.rows_read} loaded={result.loaded} "
            f"dups={result.duplicates} rejected={result.rejected} {result.errors}"
        )
        if result.errors:
            print("  last statements that finished:")
            for seconds, cpu, name, label in log[-3:]:
                print(f"    {seconds:7.3f}s cpu {cpu:6.2f}s  {name:11s} {label}")
        # A statement run once per slice of the derivation shows once, with its count.
        by_label: dict[tuple[str, str], list[float]] = {}
        for seconds, cpu, name, label in log:
            entry = by_label.setdefault((name, label), [0.0, 0.0, 0])
            entry[0] += seconds
            entry[1] += cpu
            entry[2] += 1
        ranked = sorted(by_label.items(), key=lambda item: item[1][0], reverse=True)
        for (name, label), (seconds, cpu, runs) in ranked[:20]:
            print(
                f"  {seconds:7.3f}s {seconds / total:5.1%} cpu {cpu:6.2f}s {runs:3d}x "
                f"{name:11s} {label}"
            )
        print(f"  untimed (hashing, Python): {total - sum(x[0] for x in log):.3f}s")
    store.close()


if __name__ == "__main__":
    main()
