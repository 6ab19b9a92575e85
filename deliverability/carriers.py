"""The carrier table: one canonical name per mobile network, whatever a provider calls it.

The table is data (catalog/carriers/carriers.csv; your own rows in the file that
DELIVERABILITY_CARRIERS_EXTRA names win): one row per spelling of a network, or per MCC+MNC
code. "T-MOBILE USA, INC.", "Omnipoint Communications" and 310260 are all T-Mobile. This
module only reads and checks it; the store matches messages' carriers against it when it
derives them (deliverability/sql/refresh_messages.sql).

Spellings match ignoring case, spaces and punctuation (alias_key). A spelling names one
network within a country; without the message's country it matches only when every country
agrees on the network.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from deliverability.settings import CATALOG_DIR

CARRIERS_DIR = CATALOG_DIR / "carriers"
COLUMNS = ("country", "carrier", "alias", "mcc_mnc", "source")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


class CarrierTableError(ValueError):
    """A carrier file is broken; the message names the file and line."""


@dataclass(frozen=True)
class CarrierName:
    country: str
    carrier: str
    key: str  # alias_key of the spelling, or the MCC+MNC digits
    origin: str  # "shipped" or "extra"


def alias_key(name: str) -> str:
    """A spelling as it is matched: accents dropped, lower-case letters and digits only
    (refresh_messages.sql does the same with strip_accents and regexp_replace)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", plain.lower())


def carrier_files(directory: Path = CARRIERS_DIR) -> list[Path]:
    return sorted(directory.glob("*.csv"))


def _rows(path: Path, origin: str) -> dict[tuple[str, str], tuple[CarrierName, int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CarrierTableError(f"{path}: cannot read carrier file: {exc}") from exc
    reader = csv.DictReader(text.splitlines(keepends=True))
    missing = [
        c for c in ("country", "carrier", "alias", "mcc_mnc") if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise CarrierTableError(f"{path}:1: missing column(s) {', '.join(missing)}")
    found: dict[tuple[str, str], tuple[CarrierName, int]] = {}
    for row in reader:
        line = reader.line_num
        country = (row.get("country") or "").strip().upper()
        carrier = (row.get("carrier") or "").strip()
        alias = (row.get("alias") or "").strip()
        code = (row.get("mcc_mnc") or "").strip()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise CarrierTableError(f"{path}:{line}: country must be two letters, not {country!r}")
        if not carrier:
            raise CarrierTableError(f"{path}:{line}: missing carrier")
        if bool(alias) == bool(code):
            raise CarrierTableError(f"{path}:{line}: give an alias or an mcc_mnc (one of them)")
        if code and not re.fullmatch(r"[0-9]{5,6}", code):
            raise CarrierTableError(f"{path}:{line}: mcc_mnc must be 5 or 6 digits, not {code!r}")
        key = code or alias_key(alias)
        if not key:
            raise CarrierTableError(f"{path}:{line}: alias {alias!r} has no letters or digits")
        earlier = found.get((country, key))
        if earlier and earlier[0].carrier != carrier:
            raise CarrierTableError(
                f"{path}:{line}: {alias or code!r} in {country} is {earlier[0].carrier!r} on "
                f"line {earlier[1]} and {carrier!r} here"
            )
        found[(country, key)] = (CarrierName(country, carrier, key, origin), line)
    return found


def load_carriers(extra: Path | None = None, directory: Path = CARRIERS_DIR) -> list[CarrierName]:
    """Every spelling, shipped and the user's; the user's win for the same (country, key)."""
    names: dict[tuple[str, str], tuple[CarrierName, int]] = {}
    for path in carrier_files(directory):
        names.update(_rows(path, "shipped"))
    if extra is not None:
        if not extra.exists():
            raise CarrierTableError(f"{extra}: carrier extra file does not exist")
        names.update(_rows(extra, "extra"))
    return sorted((name for name, _ in names.values()), key=lambda n: (n.country, n.key))


def fingerprint(extra: Path | None = None, directory: Path = CARRIERS_DIR) -> str:
    digest = hashlib.sha256()
    for path in [*carrier_files(directory), *([extra] if extra else [])]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()
