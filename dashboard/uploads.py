"""What the Upload page needs from below the analytics layer: the readers' names, the
canonical columns, ingesting files and the saved column mappings. Pages do not import the
store, readers or ingest themselves; this module is their one door to them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from deliverability.connection import StoreBusy
from deliverability.dashboard.state import cursor, writing
from deliverability.ingest import ingest_files
from deliverability.load_staged import FileResult
from deliverability.readers import reader_names
from deliverability.readers.base import EVENT_COLUMNS, SEND_COLUMNS, ReadOptions
from deliverability.store import load_mapping as _load_mapping
from deliverability.store import mapping_names as _mapping_names

# Every column a canonical send log or delivery log can have, each once.
CANONICAL_COLUMNS = tuple(dict.fromkeys((*SEND_COLUMNS, *EVENT_COLUMNS)))

__all__ = [
    "CANONICAL_COLUMNS",
    "ReadOptions",
    "ingest",
    "load_mapping",
    "mapping_names",
    "reader_names",
    "save_mapping",
]


def ingest(
    paths: list[Path],
    options: ReadOptions,
    display_names: list[str],
    on_file: Callable[[int], None],
) -> list[FileResult]:
    """Ingest PATHS into the dashboard's store, one transaction per file (see ingest_files);
    the store is held for writing only meanwhile. ValueError (one line) when it cannot be:
    another process kept it too long, or a hashed store's key is missing."""
    try:
        with writing() as store:
            return ingest_files(store, paths, options, display_names=display_names, on_file=on_file)
    except StoreBusy as exc:
        raise ValueError(str(exc)) from exc


def mapping_names() -> list[str]:
    return _mapping_names(cursor())


def load_mapping(name: str) -> dict[str, str]:
    return _load_mapping(cursor(), name)


def save_mapping(name: str, mapping: dict[str, str]) -> None:
    with writing() as store:
        store.save_mapping(name, mapping)
