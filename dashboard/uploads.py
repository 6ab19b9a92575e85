"""What the Upload page needs from below the analytics layer: the readers' names, the
canonical columns, ingesting files and the saved column mappings. Pages do not import the
store, readers or ingest themselves; this module is their one door to them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from deliverability.dashboard.state import get_store
from deliverability.ingest import ingest_files
from deliverability.load_staged import FileResult
from deliverability.readers import reader_names
from deliverability.readers.base import EVENT_COLUMNS, SEND_COLUMNS, ReadOptions

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
    """Ingest PATHS into the dashboard's store, one transaction per file (see ingest_files)."""
    return ingest_files(get_store(), paths, options, display_names=display_names, on_file=on_file)


def mapping_names() -> list[str]:
    return get_store().mapping_names()


def load_mapping(name: str) -> dict[str, str]:
    return get_store().load_mapping(name)


def save_mapping(name: str, mapping: dict[str, str]) -> None:
    get_store().save_mapping(name, mapping)
