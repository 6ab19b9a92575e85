"""Load the bundled sample logs into an empty store (dashboard --demo)."""

from __future__ import annotations

import sys
from pathlib import Path

from deliverability.ingest import ingest_files, log_files
from deliverability.settings import SAMPLE_LOGS_DIR
from deliverability.store import Store


def sample_files(directory: Path = SAMPLE_LOGS_DIR) -> list[Path]:
    """The sample logs (the folder also holds their generator and README)."""
    return log_files([directory])[0]


def load_demo(path: Path, catalog_extra: str | None = None) -> None:
    store = Store.open(path, catalog_extra=Path(catalog_extra) if catalog_extra else None)
    try:
        has_data = store.con.execute("SELECT count(*) FROM messages").fetchone()[0]
        if has_data:
            print(f"{path}: store has data already; not loading the samples", file=sys.stderr)
            return
        for result in ingest_files(store, sample_files()):
            for error in result.errors:
                print(error, file=sys.stderr)
    finally:
        store.close()
