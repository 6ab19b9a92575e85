"""Opening the store's DuckDB file, shared by processes that take turns.

DuckDB lets one process write a file, or any number read it, not both at once. So a
reader (a report, a dashboard page) holds the file only for the length of its request, and
a writer (an ingest, an upload) only while it writes; each waits for the other. A writer
that is waiting says so in a marker file beside the store (`<store>.writer-waiting`), and
new readers hold back while it is fresh, so a busy dashboard cannot starve a nightly ingest.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "2GB"
# How long a reader waits for a writer, and a writer for readers, before saying so
# (--wait overrides them; DELIVERABILITY_READ_WAIT and _WRITE_WAIT set them for the dashboard).
READ_WAIT_SECONDS = float(os.environ.get("DELIVERABILITY_READ_WAIT") or 60)
WRITE_WAIT_SECONDS = float(os.environ.get("DELIVERABILITY_WRITE_WAIT") or 120)
# A marker older than this is left over from a writer that died: ignored.
MARKER_FRESH_SECONDS = 5.0
RETRY_SECONDS = 0.1


class StoreBusy(RuntimeError):
    """Another process held the store for longer than this one would wait."""


def _busy_message(path: Path, exc: Exception, read_only: bool, wait: float) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    holder = f" (process {pid.group(1)})" if pid else ""
    if read_only:
        return (
            f"store is busy: {path} has been written by another process{holder} for over "
            f"{wait:g} s (a large ingest); try again when it ends, or pass a longer --wait"
        )
    return (
        f"store is busy: {path} has been open in another process{holder} for over {wait:g} s; "
        "retry with a longer --wait SECONDS"
    )


def writer_marker(path: Path) -> Path:
    return path.with_name(path.name + ".writer-waiting")


def writer_waiting(path: Path) -> bool:
    """Whether a writer is waiting for PATH (a fresh marker)."""
    try:
        age = time.time() - writer_marker(path).stat().st_mtime
    except OSError:
        return False
    return age < MARKER_FRESH_SECONDS


@contextmanager
def _announced(path: Path) -> Iterator[None]:
    """While a writer waits: the marker, touched on every retry, removed when done."""
    marker = writer_marker(path)
    try:
        yield
    finally:
        try:
            marker.unlink()
        except OSError:
            pass


def connect(path: Path, read_only: bool = False, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, waiting up to WAIT seconds while another process holds it (a
    reader also while a writer is waiting for it)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with _announced(path) if not read_only else _nothing():
        while True:
            exc: Exception | None = None
            if read_only and writer_waiting(path) and time.monotonic() < deadline:
                time.sleep(RETRY_SECONDS)
                continue
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise
                exc = error
            if time.monotonic() >= deadline:
                raise StoreBusy(_busy_message(path, exc, read_only, wait)) from exc
            if not read_only:
                writer_marker(path).touch()
            time.sleep(RETRY_SECONDS)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    return con


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def memory_limit() -> str:
    """DuckDB's memory limit for the store ($DELIVERABILITY_MEMORY_LIMIT, default 2GB).

    DuckDB's own default is 80% of RAM; a large ingest would take all of it. Within this
    limit, big intermediate tables spill to a temporary directory next to the store.
    """
    raw = os.environ.get("DELIVERABILITY_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", raw, re.IGNORECASE):
        raise ValueError(
            f"DELIVERABILITY_MEMORY_LIMIT must be a size like 2GB or 1500MB, not {raw!r}"
        )
    return raw
