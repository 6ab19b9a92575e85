"""The store connection (one per process) and a cursor per thread for queries.

Streamlit runs each browser session in its own thread; DuckDB connections are not shared
across threads, so every thread gets its own cursor on the one cached connection.
"""

from __future__ import annotations

import threading

import duckdb
import streamlit as st

from deliverability.settings import catalog_extra, db_path
from deliverability.store import Store

_local = threading.local()


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    return Store.open(db_path(), catalog_extra=catalog_extra())


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
