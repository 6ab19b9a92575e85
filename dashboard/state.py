"""The store as the dashboard holds it: read-only for the length of one script run, open for
writing only while an upload or a note writes.

So the CLI shares the store with a running dashboard: `report` or a cron `spikes` reads
beside it, and an `ingest` waits at most for the page runs in progress (new ones wait for
it, see deliverability/connection.py). Cached results are keyed on the store's version,
read at the start of every run, so they never outlive what they came from.

Within this process, DuckDB cannot have one file open read-only and read-write at once:
the gate below lets any number of runs read, and a writer in when they are done. Bringing
the store up to date (created, migrated, a changed catalog) is such a write too.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from deliverability.connection import READ_WAIT_SECONDS, WRITE_WAIT_SECONDS, StoreBusy
from deliverability.settings import catalog_extra, db_path
from deliverability.store import Store, read_version

_local = threading.local()
# `deliverability dashboard --lake PATH [--engine spark ...]` hands these to the server.
LAKE_ENV, ENGINE_ENV = "DELIVERABILITY_LAKE", "DELIVERABILITY_ENGINE"
SPARK_MASTER_ENV, SPARK_REMOTE_ENV = "DELIVERABILITY_SPARK_MASTER", "DELIVERABILITY_SPARK_REMOTE"


class _Gate:
    """Shared for readers, exclusive for a writer, a waiting writer first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_shared(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._writer or self._writers_waiting:
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise StoreBusy(
                        "store is busy: an upload in this dashboard is still writing it; "
                        "this page shows the store once it is done"
                    )
            self._readers += 1

    def release_shared(self) -> None:
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    @contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                        raise StoreBusy(
                            "store is busy: pages of this dashboard kept reading it for "
                            f"over {timeout:g} s; try again"
                        )
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_gate = _Gate()


def store_path() -> Path:
    return db_path().resolve()


def _open_lake(lake: str) -> None:
    """This run's reader of a lake (read-only: nothing in the dashboard writes a lake): its
    Parquet on DuckDB, with --engine spark its message-level questions on Spark. Cached
    results are keyed on the lake's newest build."""
    from deliverability.lake.read import SMALL, TABLES, check_lake, duckdb_over_lake
    from deliverability.queries.spark_engine import RoutedEngine

    check_lake(lake)
    spark = os.environ.get(ENGINE_ENV) == "spark"
    small = duckdb_over_lake(lake, SMALL if spark else TABLES)
    # A build adds ledger rows; a build for a changed catalog only changes meta's digest.
    built = small.execute(
        "SELECT coalesce(max(ingest_id), 0), (SELECT max(value) FROM meta) FROM ingests"
    ).fetchone()
    version = int(hashlib.sha256(repr(built).encode()).hexdigest()[:15], 16)
    _local.con = RoutedEngine(small, _spark_engine(lake, version)) if spark else small
    _local.key = (lake, version)
    _local.lake = True


@cache
def _spark_engine(lake: str, version: int):
    """One Spark session for the process, and the lake's tables as its build VERSION left
    them (a later build lists other files)."""
    from deliverability.lake.read import spark_tables
    from deliverability.queries.spark_engine import SparkEngine, spark_session

    session = spark_session(
        remote=os.environ.get(SPARK_REMOTE_ENV), master=os.environ.get(SPARK_MASTER_ENV)
    )
    return SparkEngine(session, spark_tables(session, lake))


def _open_reader() -> None:
    """This thread's read-only connection, on a store brought up to date first if need be."""
    if os.environ.get(LAKE_ENV):
        _open_lake(os.environ[LAKE_ENV])
        return
    path, extra = store_path(), catalog_extra()
    if path.is_file():
        _gate.acquire_shared(READ_WAIT_SECONDS)
        try:
            con = Store.open_reader(path, catalog_extra=extra, bring_up_to_date=False)
        except BaseException:
            _gate.release_shared()
            raise
        try:
            current = Store.is_current(con, extra)
        except BaseException:
            _release(con)
            raise
        if current:
            _keep(con, path)
            return
        _release(con)
    with _gate.exclusive(WRITE_WAIT_SECONDS):
        Store.open(path, catalog_extra=extra).close()
    _gate.acquire_shared(READ_WAIT_SECONDS)
    try:
        # Read as it is now, even if a process with another catalog changed it meanwhile.
        con = Store.open_reader(path, catalog_extra=extra, bring_up_to_date=False)
    except BaseException:
        _gate.release_shared()
        raise
    _keep(con, path)


def _keep(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Make CON, opened under a shared hold of the gate, this run's reader."""
    # No process writes the store while this connection is open (it holds DuckDB's read
    # lock), so its version is read once per connection, not once per cached call.
    try:
        version = read_version(con)
    except BaseException:
        _release(con)
        raise
    _local.con = con
    _local.key = (str(path), version)


def _release(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.close()
    finally:
        _gate.release_shared()


def _close_reader() -> None:
    con = getattr(_local, "con", None)
    if con is None:
        return
    _local.con = None
    _local.key = None
    if getattr(_local, "lake", False):
        _local.lake = False
        con.close()  # the run's DuckDB views; the Spark session stays for the next run
        return
    _release(con)


@contextmanager
def reading() -> Iterator[None]:
    """One script run: the store is opened read-only when the run first reads it and
    closed when the run ends. StoreBusy or duckdb.Error when it cannot be read."""
    _local.in_run = True
    try:
        yield
    finally:
        _local.in_run = False
        _close_reader()


def cursor() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        if not getattr(_local, "in_run", False):
            raise RuntimeError("the store is read inside state.reading() (app.py opens a run)")
        _open_reader()
        con = _local.con
    return con


@contextmanager
def reading_elsewhere() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for work outside a script run (a download's callable runs on
    a thread of its own), through the same gate."""
    if os.environ.get(LAKE_ENV):
        from deliverability.lake.read import duckdb_over_lake

        con = duckdb_over_lake(os.environ[LAKE_ENV])
        try:
            yield con
        finally:
            con.close()
        return
    _gate.acquire_shared(READ_WAIT_SECONDS)
    try:
        con = Store.open_reader(store_path(), catalog_extra=catalog_extra(), bring_up_to_date=False)
    except BaseException:
        _gate.release_shared()
        raise
    try:
        yield con
    finally:
        try:
            con.close()
        finally:
            _gate.release_shared()


@contextmanager
def writing() -> Iterator[Store]:
    """The store open for writing, for an upload or a note. This run's reader is closed
    meanwhile; the run's next read opens it again, on the store as written."""
    if os.environ.get(LAKE_ENV):
        raise StoreBusy(
            "this dashboard reads a lake, which only `deliverability lake build` writes: "
            "upload files and add notes in a dashboard on a store"
        )
    _close_reader()
    with _gate.exclusive(WRITE_WAIT_SECONDS):
        store = Store.open(store_path(), catalog_extra=catalog_extra())
        try:
            yield store
        finally:
            store.close()


def store_version() -> int:
    """Bumped by every change to the store; cached results are keyed on it."""
    return store_key()[1]


def store_key() -> tuple[str, int]:
    """(the store's path, its version) as this run reads it: what cached results are keyed
    on (two stores can be at the same version in one process)."""
    cursor()
    return _local.key
