"""The store connection (one per process) and a cursor per thread for queries.

Streamlit runs each browser session in its own thread; DuckDB connections are not shared
across threads, so every thread gets its own cursor on the one cached connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import streamlit as st

from deliverability.settings import catalog_extra, db_path
from deliverability.store import Store

_local = threading.local()


def get_store() -> Store:
    extra = catalog_extra()
    return _open_store(str(db_path().resolve()), str(extra) if extra else "")


@st.cache_resource(show_spinner=False)
def _open_store(path: str, extra: str) -> Store:
    # Keyed on the path, so one process can serve (or test) more than one store.
    return Store.open(Path(path), catalog_extra=Path(extra) if extra else None)


def cursor() -> duckdb.DuckDBPyConnection:
    store = get_store()
    cur = getattr(_local, "cursor", None)
    if cur is None or getattr(_local, "store_id", None) != id(store):
        cur = store.cursor()
        _local.cursor, _local.store_id = cur, id(store)
    return cur


def store_version() -> int:
    """Bumped by every ingest; cached results are keyed on it."""
    return get_store().version(cursor())
