"""The files a `lake build` reads: local paths, and objects in object storage (s3://, gs://,
az://, any URL fsspec knows).

An object is fetched to a local copy under its own name (so that compression and suffixes
are detected as for a local file), with the object's last-modified time as the copy's
modification time (the receipt time of events that carry none of their own), read by the
same readers as a local file, and removed once its rows are staged. The build names the
object by its URL (ledger, errors, quarantine's file name); its fingerprint is its bytes,
as a local file's, so an object built before adds nothing.

Credentials come from where each file system's own client looks (the environment, profiles,
instance roles), never from the URL: a URL with a secret in it is refused, without echoing
it. A URL ending in `/` (or one that names a folder) stands for the log files under it, by
ingest's rules for a local folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from deliverability.ingest import LOG_SUFFIXES, NOT_LOGS, log_files
from deliverability.lake.urls import CREDENTIALS, refuse_credentials
from deliverability.readers.base import UnreadableFile

# The package behind each scheme fsspec reads (fsspec's own error names it otherwise).
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs",
            "abfs": "adlfs", "abfss": "adlfs"}  # fmt: skip
EXTRA = "install the object-storage extra: pip install 'deliverability[lake]'"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(text: str) -> bool:
    """Whether TEXT names an object in storage, not a file on this machine."""
    match = _SCHEME.match(text)
    return bool(match) and match.group(1).lower() != "file"


@dataclass
class Source:
    """One input file: a local path, or an object (FS, KEY) read from a local copy. NAME is
    what the build calls it; ERROR, a one-line reason it cannot be read at all."""

    name: str
    local: Path | None = None
    fs: Any = None
    key: str | None = None
    error: str | None = None

    @contextmanager
    def file(self, folder: Path) -> Iterator[Path]:
        """The file to read: the local path, or the object's local copy in FOLDER (removed
        on leaving). UnreadableFile (one line, naming the URL) when it cannot be fetched."""
        if self.local is not None:
            yield self.local
            return
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / (PurePosixPath(self.key or "").name or "object")
        try:
            try:
                self.fs.get_file(self.key, str(copy))
                modified = _modified(self.fs, self.key)
                if modified is not None:
                    os.utime(copy, (modified, modified))
            except Exception as exc:  # each file system raises its own client's errors
                raise UnreadableFile(f"{self.name}: cannot read: {_reason(exc)}") from exc
            yield copy
        finally:
            copy.unlink(missing_ok=True)


def sources(inputs: list[Path | str]) -> tuple[list[Source], list[tuple[str, str]]]:
    """The files INPUTS stand for, in order, and those skipped with why: a local path by
    ingest's log_files; a URL by the same rules on its object or the objects under it.
    ValueError (one line) for a URL that holds credentials, or whose file system is not
    installed: nothing is built then."""
    urls = [str(i) for i in inputs if is_url(str(i))]
    for url in urls:
        refuse_credentials(url)
    filesystems = {url: _filesystem(url) for url in urls}
    found: list[Source] = []
    skipped: list[tuple[str, str]] = []
    for given in inputs:
        text = str(given)
        if text in filesystems:
            more, passed = _objects(text, *filesystems[text])
            found += more
            skipped += passed
            continue
        local = Path(text.removeprefix("file://")) if isinstance(given, str) else given
        files, passed = log_files([local])
        found += [Source(str(p), local=p) for p in files]
        skipped += [(str(p), why) for p, why in passed]
    return found, skipped


def _filesystem(url: str) -> tuple[Any, str]:
    """(file system, path within it) for URL; ValueError naming what to install."""
    scheme = url.split("://", 1)[0].lower()
    try:
        import fsspec
    except ImportError:
        raise ValueError(f"{url}: reading object storage needs fsspec: {EXTRA}") from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError:
        package = PACKAGES.get(scheme)
        if package == "s3fs":
            raise ValueError(f"{url}: reading {scheme}:// needs s3fs: {EXTRA}") from None
        install = f"pip install {package}" if package else "install its fsspec file system"
        raise ValueError(
            f"{url}: reading {scheme}:// needs {package or 'a package'}: {install}"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{url}: {scheme}:// is not a storage fsspec knows ({exc})") from None
    except Exception as exc:  # a client that cannot start (bad configuration)
        raise ValueError(f"{url}: {_reason(exc)}") from None


def _objects(url: str, fs: Any, root: str) -> tuple[list[Source], list[tuple[str, str]]]:
    """The log objects URL stands for (itself, or those under it), and those skipped."""
    try:
        folder = url.endswith("/") or fs.info(root)["type"] == "directory"
        keys = sorted(fs.find(root)) if folder else [root]
    except Exception as exc:  # FileNotFoundError, PermissionError, the client's own errors
        return [Source(url, error=f"{url}: cannot read: {_reason(exc)}")], []
    if not keys:
        return [Source(url, error=f"{url}: cannot read: no object under this prefix")], []
    if not folder:
        if PurePosixPath(root).suffix.lower() in NOT_LOGS:
            return [], [(url, f"not a log file ({PurePosixPath(root).suffix})")]
        return [Source(url, fs=fs, key=root)], []
    found, skipped = [], []
    base = root.rstrip("/") + "/"
    for key in keys:
        name = url.rstrip("/") + "/" + key.removeprefix(base)
        leaf = PurePosixPath(key)
        if leaf.name.startswith("."):
            continue  # as a local folder's dot files
        if leaf.name.lower().endswith(LOG_SUFFIXES):
            found.append(Source(name, fs=fs, key=key))
        else:
            skipped.append((name, f"not a log file ({leaf.suffix or 'no suffix'})"))
    return found, skipped


def _modified(fs: Any, key: str | None) -> float | None:
    """The object's last-modified time (POSIX seconds), when its file system says."""
    try:
        return fs.modified(key).timestamp()
    except Exception:  # not every file system keeps one (NotImplementedError, KeyError)
        return None


def _reason(exc: BaseException) -> str:
    """EXC in one line, as a user reads it (never the credentials: clients do not quote them)."""
    text = str(exc).strip()
    if isinstance(exc, FileNotFoundError):
        # A client's message ("The specified bucket does not exist"), or just the key.
        return text.splitlines()[0] if " " in text else "no such object"
    if isinstance(exc, PermissionError):
        return "access denied; check the credentials: " + CREDENTIALS
    if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        return "no credentials found: " + CREDENTIALS
    return text.splitlines()[0] if text else type(exc).__name__
