"""Where the store lives and the few settings every entry point shares.

Each setting has a command-line flag and an environment variable; the flag wins.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path


def _package_folder(name: str) -> Path:
    """Where package NAME's files are, in a checkout as in an installed wheel (found, not
    imported: the dashboard is a layer above this one)."""
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{name} is not installed with deliverability")
    return Path(spec.origin).parent


CATALOG_DIR = _package_folder("deliverability.catalog_files")
SAMPLE_LOGS_DIR = _package_folder("deliverability.sample_logs")
DASHBOARD_APP = _package_folder("deliverability.dashboard") / "app.py"

DEFAULT_DB = Path("data") / "deliverability.duckdb"

# Uploads larger than this are refused before any byte is parsed (DELIVERABILITY_MAX_UPLOAD_MB).
DEFAULT_MAX_UPLOAD_MB = 2048
# A compressed file may expand to at most this much (DELIVERABILITY_MAX_DECOMPRESSED_MB):
# a gzip bomb stops here instead of filling the disk.
DEFAULT_MAX_DECOMPRESSED_MB = 8192


def db_path(flag: str | os.PathLike | None = None) -> Path:
    """The store file: --db, else $DELIVERABILITY_DB, else data/deliverability.duckdb."""
    chosen = flag or os.environ.get("DELIVERABILITY_DB") or DEFAULT_DB
    return Path(chosen)


def catalog_extra(flag: str | os.PathLike | None = None) -> Path | None:
    """The user's own catalog file: --catalog-extra, else $DELIVERABILITY_CATALOG_EXTRA."""
    chosen = flag or os.environ.get("DELIVERABILITY_CATALOG_EXTRA")
    return Path(chosen) if chosen else None


def display_zone(flag: str | None = None) -> str | None:
    """--display-tz, else DELIVERABILITY_DISPLAY_TZ: the time zone days and weeks are cut
    in (None: UTC). Checked where it is used (queries/zones.py)."""
    return flag or os.environ.get("DELIVERABILITY_DISPLAY_TZ") or None


def carriers_extra() -> Path | None:
    """The user's own carrier spellings ($DELIVERABILITY_CARRIERS_EXTRA, a CSV with the
    columns of catalog/carriers/carriers.csv); its rows win."""
    chosen = os.environ.get("DELIVERABILITY_CARRIERS_EXTRA")
    return Path(chosen) if chosen else None


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number of megabytes, not {raw!r}") from exc


def max_upload_bytes() -> int:
    return _int_env("DELIVERABILITY_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB) * 1024 * 1024


def max_decompressed_bytes() -> int:
    return _int_env("DELIVERABILITY_MAX_DECOMPRESSED_MB", DEFAULT_MAX_DECOMPRESSED_MB) * 1024 * 1024


def recipient_salt() -> str | None:
    """The key a hashed store hashes recipients with: $DELIVERABILITY_RECIPIENT_SALT, else
    the first line of the file $DELIVERABILITY_RECIPIENT_SALT_FILE names. Never in the store."""
    salt = os.environ.get("DELIVERABILITY_RECIPIENT_SALT")
    if salt:
        return salt
    key_file = os.environ.get("DELIVERABILITY_RECIPIENT_SALT_FILE")
    if not key_file:
        return None
    try:
        lines = Path(key_file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"DELIVERABILITY_RECIPIENT_SALT_FILE {key_file}: cannot read it ({exc})"
        ) from exc
    return lines[0].strip() if lines and lines[0].strip() else None
