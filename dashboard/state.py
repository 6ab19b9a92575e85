"""The store as the dashboard holds it: read-only for the length of one script run, open for
writing only while an upload or a note writes.

So the CLI shares the store with a running dashboard: `report` or a cron `spikes` reads
beside it, and an `ingest` waits at most for the page runs in progress (new ones wait for
it, see deliverability/connection.py). Cached results are keyed on the store's version,
read at the start of every run, so they never outlive what they came from.

Within this process, DuckDB cannot have one file open read-only and read-write at once:
the gate below lets any number of runs read, and a writer in when they are done.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import streamlit as st

from deliverability.settings import catalog_extra, db_path
from deliverability.store import Store, read_version

_local = threading.local()


class _Gate:
    """Shared for readers, exclusive for a writer, a waiting writer first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_shared(self) -> None:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1

    def release_shared(self) -> None:
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    def acquire_exclusive(self) -> None:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True

    def release_exclusive(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()


_gate = _Gate()


def store_path() -> Path:
    return db_path().resolve()


def _extra() -> Path | None:
    return catalog_extra()


@st.cache_resource(show_spinner=False)
def _prepared(path: str, extra: str) -> bool:
    # Once per process and store: created, migrated and its catalog synced, so that page
    # runs only ever read.
    Store.open(Path(path), catalog_extra=Path(extra) if extra else None).close()
    return True


def _open_reader() -> None:
    _gate.acquire_shared()
    try:
        _local.con = Store.open_reader(store_path(), catalog_extra=_extra())
    except BaseException:
        _gate.release_shared()
        raise


def _close_reader() -> None:
    con = getattr(_local, "con", None)
    if con is None:
        return
    _local.con = None
    try:
        con.close()
    finally:
        _gate.release_shared()


@contextmanager
def reading() -> Iterator[None]:
    """The store open read-only for one script run; every query of the run shares it."""
    extra = _extra()
    _prepared(str(store_path()), str(extra) if extra else "")
    _open_reader()
    try:
        yield
    finally:
        _close_reader()


def cursor() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        raise RuntimeError("the store is read inside state.reading() (app.py opens it per run)")
    return con


@contextmanager
def writing() -> Iterator[Store]:
    """The store open for writing, for an upload or a note; this run's reader is closed
    meanwhile (and opened again after, on the store as written)."""
    had_reader = getattr(_local, "con", None) is not None
    _close_reader()
    _gate.acquire_exclusive()
    try:
        store = Store.open(store_path(), catalog_extra=_extra())
        try:
            yield store
        finally:
            store.close()
    finally:
        _gate.release_exclusive()
        if had_reader:
            _open_reader()


def store_version() -> int:
    """Bumped by every change to the store; cached results are keyed on it."""
    return read_version(cursor())
