"""Ingest files into the store: read, validate, dedupe, load and derive, one file at a time
(the load of one staged file: deliverability/load_staged.py).

Each file is one transaction. Every row read is loaded, a duplicate, or quarantined with a
reason, so rows_read == loaded + duplicates + rejected for every file.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from deliverability.derive import retract_ingests
from deliverability.load_staged import FileResult, count, load_staged
from deliverability.readers import READERS, choose_reader
from deliverability.readers.base import ReadOptions, UnreadableFile, sniff
from deliverability.settings import max_decompressed_bytes, max_upload_bytes
from deliverability.store import Store

# What a log can be: the canonical and native formats, compressed or not.
LOG_SUFFIXES = (".csv", ".tsv", ".json", ".ndjson", ".jsonl", ".xml", ".txt", ".log", ".parquet",
                ".gz")  # fmt: skip
# Files that are plainly not logs, though a folder of exports or a glob often holds them.
NOT_LOGS = (".md", ".py", ".pyc", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".sh", ".html",
            ".htm", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".duckdb", ".wal", ".zip")  # fmt: skip


def log_files(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to ingest for PATHS, and the ones skipped with why: a folder stands for the
    log files in it (and below it); a file that is plainly not a log (README.md, a script)
    is skipped, so that `ingest exports/*` or `ingest exports/` does what it says."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            for child in inside:
                if child.name.lower().endswith(LOG_SUFFIXES):
                    files.append(child)
                else:
                    skipped.append((child, f"not a log file ({child.suffix or 'no suffix'})"))
        elif path.suffix.lower() in NOT_LOGS:
            skipped.append((path, f"not a log file ({path.suffix})"))
        else:
            files.append(path)
    return files, skipped


def _modified_at(path: Path) -> datetime | None:
    """The file's modification time, naive UTC (None when it cannot be read)."""
    try:
        return datetime.fromtimestamp(os.path.getmtime(path), UTC).replace(tzinfo=None)
    except OSError:
        return None


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGINT) during a file's ingest: that file was rolled back; the files
    before it in the batch are committed."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path

    def __str__(self) -> str:
        return (
            f"interrupted while ingesting {self.path}: nothing of that file was stored "
            "(the store is as it was before it; files before it in the batch are in)"
        )


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def file_fingerprint(path: Path, opts: ReadOptions) -> tuple[str, str]:
    """(fingerprint, content hash): the file's bytes with the options that read it, and its
    bytes alone (the same file read with other options)."""
    content = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            content.update(chunk)
    with_options = content.copy()
    with_options.update(b"\0" + opts.fingerprint().encode())
    return with_options.hexdigest(), content.hexdigest()


def _already_ingested(con: duckdb.DuckDBPyConnection, fingerprint: str, result: FileResult) -> bool:
    row = con.execute(
        "SELECT reader, kind, provider, rows_read, rejected FROM ingests "
        "WHERE fingerprint = ? AND replaced_by IS NULL ORDER BY ingest_id LIMIT 1",
        [fingerprint],
    ).fetchone()
    if row is None:
        return False
    result.reader, result.kind, result.provider, result.rows_read, result.rejected = row
    result.duplicates = result.rows_read - result.rejected
    result.already_ingested = True
    return True


def _replace_earlier(
    con: duckdb.DuckDBPyConnection, content_hash: str, kind: str, path: Path, quiet: bool
) -> list[int]:
    """The same file ingested before with other options: its rows are taken back (inside
    this ingest's transaction), to be replaced by this reading. Returns their ingest ids.
    A reading of one part of a file (--kind sends, then --kind events) replaces only an
    earlier reading of the same part; a reading of the whole (auto) replaces any."""
    earlier = [
        int(r[0])
        for r in con.execute(
            "SELECT ingest_id FROM ingests WHERE content_hash = ? AND replaced_by IS NULL "
            "AND (? = 'auto' OR read_kind = ?) ORDER BY ingest_id",
            [content_hash, kind, kind],
        ).fetchall()
    ]
    if earlier:
        _progress(
            f"{path}: ingested before with other options (ingest {', '.join(map(str, earlier))}); "
            "replacing its rows",
            quiet,
        )
        retract_ingests(con, earlier)
    return earlier


def ingest_file(
    store: Store,
    path: Path,
    opts: ReadOptions | None = None,
    quiet: bool = True,
    display_name: str | None = None,
    defer_refresh: bool = False,
) -> FileResult:
    """Ingest one file atomically. Errors are reported in the result, never half-applied.

    DEFER_REFRESH leaves the messages the file touches to be derived by a later ingest or
    Store.refresh_pending (see ingest_files); the file's rows are committed either way.
    """
    opts = opts or ReadOptions()
    if opts.received_at is None:
        opts = replace(
            opts, received_at=_modified_at(path), received_from="the file's modification time"
        )
    result = FileResult(path=display_name or str(path))
    started = time.time()
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        result.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
        return result
    if size > max_upload_bytes():
        result.errors.append(
            f"{path}: {size / 1e6:.0f} MB is over the upload limit of "
            f"{max_upload_bytes() / 1e6:.0f} MB (DELIVERABILITY_MAX_UPLOAD_MB)"
        )
        return result
    with store.write_lock:
        con = store.cursor()
        try:
            # A hashed store hashes every file, whoever ingests it (ValueError without its key).
            hash_salt = store.recipient_salt(con)
            fingerprint, content_hash = file_fingerprint(path, opts)
            if _already_ingested(con, fingerprint, result):
                _progress(f"{path}: already ingested, nothing to add", quiet)
                return result
            try:
                sniffed = sniff(path, max_decompressed_bytes())
                reader = choose_reader(sniffed, opts.format_hint, mapped=bool(opts.mapping))
                result.reader = reader.NAME
                _progress(f"{path}: reading as {reader.NAME} ({size / 1e6:.1f} MB)", quiet)
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    "RESET VARIABLE stage_first_line; "
                    "DROP TABLE IF EXISTS stage_rejects; DROP TABLE IF EXISTS stage_scans"
                )
                result.replaced = _replace_earlier(con, content_hash, opts.kind, path, quiet)
                reader.stage(con, sniffed, opts)
                ingest_id = count(con, "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests")
                _progress(f"{path}: validating, deduplicating and loading", quiet)
                load_staged(
                    store, con, result, ingest_id, opts, (fingerprint, content_hash), started,
                    hash_salt, defer_refresh,
                )  # fmt: skip
                if opts.format_hint and not result.loaded and not reader.detect(sniffed):
                    # A reader made to read a file it does not fit loads nothing (reads no
                    # rows, or rejects them all): a mistake to report, not an ingest of
                    # nothing to record. A file the reader fits may well be empty today.
                    fits = [r.NAME for r in READERS if r.detect(sniffed)]
                    raise UnreadableFile(
                        f"{path}: --format-hint {opts.format_hint} does not fit this file: "
                        "nothing loaded"
                        + (f" (it reads as {fits[0]}; drop the hint)" if fits else "")
                    )
                con.execute("COMMIT")
            except (KeyboardInterrupt, duckdb.InterruptException) as exc:
                _rollback(con)
                raise IngestInterrupted(result.path) from exc
            except RuntimeError as exc:
                _rollback(con)
                # DuckDB reports Ctrl-C during a query as a RuntimeError.
                if "interrupted" in str(exc).lower():
                    raise IngestInterrupted(result.path) from exc
                raise
            except BaseException:
                _rollback(con)
                raise
            finally:
                con.execute("RESET preserve_insertion_order")
        except UnreadableFile as exc:
            result.errors.append(str(exc))
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            result.errors.append(f"{path}: {first}")
        finally:
            con.close()
    if result.errors:
        result.rows_read = result.loaded = result.duplicates = result.rejected = 0
        if display_name:
            # An uploaded file sits under a temporary name: name it as the user knows it.
            result.errors = [e.replace(str(path), display_name) for e in result.errors]
    elif result.rows_read == 0:
        _progress(f"{path}: no data rows (header only?); nothing to load", quiet)
    else:
        _progress(
            f"{path}: {result.rows_read} read, {result.loaded} loaded, "
            f"{result.duplicates} duplicates, {result.rejected} rejected "
            f"({time.time() - started:.1f}s)",
            quiet,
        )
    return result


def ingest_files(
    store: Store,
    paths: list[Path],
    opts: ReadOptions | None = None,
    quiet: bool = True,
    display_names: list[str] | None = None,
    on_file: Callable[[int], None] | None = None,
) -> list[FileResult]:
    """Ingest several files, each in its own transaction, deriving messages once.

    Deriving a message's final status re-reads its sends and events, so a send log followed
    by its delivery reports would derive every message twice; each file but the last only
    records what it touched (pending_refresh; nothing in a store with no messages yet, whose
    first derivation takes every message), and the last file's transaction derives them all.
    ON_FILE(i) is called before file i (progress).
    """
    results = []
    with store.write_lock:
        con = store.cursor()
        try:
            store.recipient_salt(con)  # a hashed store without its key: refused before any file
        finally:
            con.close()
    try:
        for index, path in enumerate(paths):
            if on_file:
                on_file(index)
            name = display_names[index] if display_names else None
            results.append(
                ingest_file(
                    store,
                    path,
                    opts,
                    quiet=quiet,
                    display_name=name,
                    defer_refresh=index < len(paths) - 1,
                )  # fmt: skip
            )
    finally:
        # The last file may have failed or been a repeat, or the caller stopped the loop
        # (Streamlit stops a page by raising from the progress callback): the files already
        # committed are derived either way.
        store.refresh_pending()
    return results


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction was open yet


def totals(results: list[FileResult]) -> dict[str, int]:
    return {
        key: sum(getattr(r, key) for r in results)
        for key in ("rows_read", "loaded", "duplicates", "rejected")
    }
