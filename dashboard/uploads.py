"""What the Upload page needs from below the analytics layer: the readers' names, the
canonical columns, ingesting files and the saved column mappings. Pages do not import the
store, readers or ingest themselves; this module is their one door to them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deliverability.connection import StoreBusy
from deliverability.dashboard.state import cursor, writing
from deliverability.ingest import IngestInterrupted, ingest_files
from deliverability.load_staged import FileResult
from deliverability.readers import reader_names
from deliverability.readers.base import EVENT_COLUMNS, SEND_COLUMNS, ReadOptions
from deliverability.store import Store
from deliverability.store import load_mapping as _load_mapping
from deliverability.store import mapping_names as _mapping_names

# Every column a canonical send log or delivery log can have, each once.
CANONICAL_COLUMNS = tuple(dict.fromkeys((*SEND_COLUMNS, *EVENT_COLUMNS)))

__all__ = [
    "CANONICAL_COLUMNS",
    "ReadOptions",
    "Upload",
    "uploading",
    "load_mapping",
    "mapping_names",
    "reader_names",
    "save_mapping",
]


class UploadCancelled(Exception):
    """Raised into the upload's worker between files once Cancel was pressed."""


class Upload:
    """Files being ingested on a worker thread (DuckDB releases the GIL, so the page can
    show progress and take a Cancel meanwhile). Each file is its own transaction, as on
    the command line; a cancelled upload is taken back whole (Store.take_back), so the
    store is as it was before the upload."""

    def __init__(
        self, store: Store, paths: list[Path], options: ReadOptions, display_names: list[str]
    ) -> None:
        self.store = store
        self.paths = paths
        self.options = options
        self.display_names = display_names
        self.index = 0
        self.results: list[FileResult] = []
        self.error: BaseException | None = None
        self.cancelled = False
        # Ingests that had replaced earlier ones: those earlier rows cannot be restored.
        self.not_restored: list[int] = []
        self._cancel = threading.Event()
        self._before = int(
            store.con.execute("SELECT coalesce(max(ingest_id), 0) FROM ingests").fetchone()[0]
        )
        self._thread = threading.Thread(target=self._run, name="upload", daemon=True)
        self._thread.start()

    def _on_file(self, index: int) -> None:
        if self._cancel.is_set():
            raise UploadCancelled
        self.index = index

    def _run(self) -> None:
        try:
            self.results = ingest_files(
                self.store,
                self.paths,
                self.options,
                display_names=self.display_names,
                on_file=self._on_file,
            )
        except (UploadCancelled, IngestInterrupted):
            pass
        except BaseException as exc:  # reported by the page; never a traceback
            self.error = exc

    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self) -> None:
        self._thread.join()
        if self.error is not None:
            raise ValueError(str(self.error).strip().splitlines()[0]) from self.error

    def cancel(self) -> None:
        """Stop the worker (the file in progress rolls back) and take back the files this
        upload committed."""
        self._cancel.set()
        while self._thread.is_alive():
            self.store.interrupt()
            self._thread.join(0.2)
        done = [
            int(r[0])
            for r in self.store.con.execute(
                "SELECT ingest_id FROM ingests WHERE ingest_id > ? ORDER BY ingest_id",
                [self._before],
            ).fetchall()
        ]
        self.not_restored = self.store.take_back(done)
        self.cancelled = True


@contextmanager
def uploading(
    paths: list[Path], options: ReadOptions, display_names: list[str]
) -> Iterator[Upload]:
    """Ingest PATHS into the dashboard's store while the block runs (it shows progress);
    the store is held for writing only meanwhile. Leaving the block before the upload is
    done (Streamlit stops the page run when Cancel is pressed) cancels it, leaving the
    store as before. ValueError (one line) when the store cannot be written: another
    process kept it too long, or a hashed store's key is missing."""
    try:
        with writing() as store:
            upload = Upload(store, paths, options, display_names)
            try:
                yield upload
                upload.wait()
            finally:
                if upload.running():
                    upload.cancel()
    except StoreBusy as exc:
        raise ValueError(str(exc)) from exc


def mapping_names() -> list[str]:
    return _mapping_names(cursor())


def load_mapping(name: str) -> dict[str, str]:
    return _load_mapping(cursor(), name)


def save_mapping(name: str, mapping: dict[str, str]) -> None:
    with writing() as store:
        store.save_mapping(name, mapping)
