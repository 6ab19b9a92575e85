"""Load and validate the code catalog (the CSV files in catalog/).

The catalog is data: this module only reads, checks and indexes it. Meanings live in
catalog/*.csv; a user's own file (--catalog-extra) overrides shipped entries key by key.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from deliverability.settings import CATALOG_DIR

PROVIDERS = ("azure_acs", "sfmc", "sinch", "webex_connect", "chirp", "telnyx", "twilio")
CHANNELS = (
    "sms",
    "mms",
    "voice",
    "push",
    "in_app",
    "email",
    "messenger",
    "google_business_messages",
    "instagram",
    "twitter_dm",
    "apple_messages",
    "wechat",
    "whatsapp",
    "rcs",
    "*",
)
OUTCOMES = ("delivered", "failed", "pending", "unconfirmed")
CATEGORIES = (
    "delivered",
    "in_progress",
    "unconfirmed",
    "invalid_number",
    "unreachable",
    "carrier_filtered",
    "opted_out",
    "rate_limited",
    "sender_config",
    "content_invalid",
    "provider_error",
    "unknown_error",
)
# The categories of a message that has not failed; every other category is a failure's
# (catalog/README.md).
NOT_FAILED = ("delivered", "in_progress", "unconfirmed")
FAILURE_CATEGORIES = tuple(c for c in CATEGORIES if c not in NOT_FAILED)
REQUIRED = ("provider", "channel", "code", "name", "outcome", "category", "final", "retryable")


class CatalogError(ValueError):
    """A catalog file is broken; the message names the file and line."""


@dataclass(frozen=True)
class CodeEntry:
    provider: str
    channel: str
    code: str
    variant: int
    context: str
    section: str
    name: str
    description: str
    advice: str
    provider_status: str
    outcome: str
    category: str
    final: bool
    retryable: bool
    source: str
    note: str
    origin: str  # "shipped" or "extra": which file the entry came from
    file: str
    line: int
    # Where `advice` comes from: "provider" (the provider's own text), "category" (the
    # catalog's advice for the code's failure category, catalog/advice/categories.csv) or "".
    advice_from: str = ""
    # The provider's page for the code: its source when that is a URL, else the page the
    # source file was copied from (catalog/advice/pages.csv); "" when unknown.
    link: str = ""

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.provider, self.channel, self.code, self.variant)

    def as_dict(self) -> dict:
        return asdict(self)


FIELDS = tuple(f.name for f in fields(CodeEntry))
PUBLIC_FIELDS = tuple(f for f in FIELDS if f not in ("file", "line"))


def _bool(value: str, where: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise CatalogError(f"{where}: {column} must be true or false, not {value!r}")


def _entries_from_file(path: Path, origin: str) -> list[CodeEntry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read catalog file: {exc}") from exc
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogError(f"{path}:1: missing column(s) {', '.join(missing)}")
    entries = []
    for row in reader:
        line = reader.line_num
        where = f"{path}:{line}"
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for column in REQUIRED:
            if not row.get(column):
                raise CatalogError(f"{where}: missing {column}")
        if row["provider"] not in PROVIDERS:
            raise CatalogError(f"{where}: unknown provider {row['provider']!r}")
        if row["channel"] not in CHANNELS:
            raise CatalogError(f"{where}: unknown channel {row['channel']!r}")
        if row["outcome"] not in OUTCOMES:
            raise CatalogError(
                f"{where}: unknown outcome {row['outcome']!r} (one of {', '.join(OUTCOMES)})"
            )
        if row["category"] not in CATEGORIES:
            raise CatalogError(
                f"{where}: unknown category {row['category']!r} (one of {', '.join(CATEGORIES)})"
            )
        try:
            variant = int(row.get("variant") or 0)
        except ValueError as exc:
            raise CatalogError(f"{where}: variant must be a whole number") from exc
        entries.append(
            CodeEntry(
                provider=row["provider"],
                channel=row["channel"],
                code=row["code"],
                variant=variant,
                context=row.get("context", ""),
                section=row.get("section", ""),
                name=row["name"],
                description=row.get("description", ""),
                advice=row.get("advice", ""),
                provider_status=row.get("provider_status", ""),
                outcome=row["outcome"],
                category=row["category"],
                final=_bool(row["final"], where, "final"),
                retryable=_bool(row["retryable"], where, "retryable"),
                source=row.get("source", ""),
                note=row.get("note", ""),
                origin=origin,
                file=str(path),
                line=line,
            )
        )
    return entries


def _meaning(entry: CodeEntry) -> tuple:
    return (entry.name, entry.outcome, entry.category, entry.final, entry.retryable)


def _index(entries: Iterable[CodeEntry]) -> dict[tuple, CodeEntry]:
    """Key the entries of one origin, refusing a key that means two different things."""
    by_key: dict[tuple, CodeEntry] = {}
    for entry in entries:
        earlier = by_key.get(entry.key)
        if earlier is None:
            by_key[entry.key] = entry
        elif _meaning(earlier) != _meaning(entry):
            raise CatalogError(
                f"{entry.file}:{entry.line}: duplicate key {entry.key[:3]} variant {entry.variant} "
                f"conflicts with {earlier.file}:{earlier.line} "
                f"({earlier.name!r} vs {entry.name!r}); give one a different variant"
            )
    return by_key


def shipped_files(directory: Path = CATALOG_DIR) -> list[Path]:
    return sorted(directory.glob("*.csv"))


def _two_columns(path: Path, key: str, value: str) -> dict[str, str]:
    """KEY -> VALUE from a small CSV of ours (catalog/advice/*.csv); {} when it is absent."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in enumerate(rows, start=2):
        if not (row.get(key) or "").strip() or not (row.get(value) or "").strip():
            raise CatalogError(f"{path}:{line}: needs {key} and {value}")
    return {row[key].strip(): row[value].strip() for row in rows}


def _with_advice(entries: list[CodeEntry], directory: Path) -> list[CodeEntry]:
    """Every failure code with advice: the provider's own, else its category's (marked so),
    and every entry with the provider's page for it where one is known."""
    by_category = _two_columns(directory / "advice" / "categories.csv", "category", "advice")
    pages = _two_columns(directory / "advice" / "pages.csv", "source", "url")
    out = []
    for entry in entries:
        advice, advice_from = entry.advice, "provider" if entry.advice else ""
        if not advice and entry.outcome == "failed" and entry.category in by_category:
            advice, advice_from = by_category[entry.category], "category"
        link = entry.source if entry.source.startswith("http") else pages.get(entry.source, "")
        out.append(replace(entry, advice=advice, advice_from=advice_from, link=link))
    return out


class Catalog:
    """All entries, shipped and the user's, with (provider, channel, code) lookups."""

    def __init__(self, entries: list[CodeEntry]):
        self.entries = entries
        self._primary = {(e.provider, e.channel, e.code): e for e in entries if e.variant == 0}

    @classmethod
    def load(cls, extra: Path | None = None, directory: Path = CATALOG_DIR) -> Catalog:
        files = shipped_files(directory)
        if not files:
            raise CatalogError(f"{directory}: no catalog files (*.csv) found")
        shipped = _index(e for f in files for e in _entries_from_file(f, "shipped"))
        if extra is not None:
            if not extra.exists():
                raise CatalogError(f"{extra}: catalog extra file does not exist")
            # The user's entries replace shipped ones with the same key: that is the point.
            shipped.update(_index(_entries_from_file(extra, "extra")))
        return cls(_with_advice(sorted(shipped.values(), key=lambda e: e.key), directory))

    @staticmethod
    def fingerprint(extra: Path | None = None, directory: Path = CATALOG_DIR) -> str:
        digest = hashlib.sha256()
        advice = sorted((directory / "advice").glob("*.csv"))
        for path in [*shipped_files(directory), *advice, *([extra] if extra else [])]:
            digest.update(str(path.name).encode())
            digest.update(path.read_bytes() if path.exists() else b"")
        return digest.hexdigest()

    def resolve(self, provider: str, channel: str, code: str) -> CodeEntry | None:
        """The entry joins use: exact channel first, then the provider's `*` entry."""
        return self._primary.get((provider, channel, code)) or self._primary.get(
            (provider, "*", code)
        )

    def lookup(
        self, code: str, provider: str | None = None, channel: str | None = None
    ) -> list[CodeEntry]:
        """Every entry for CODE (all variants), narrowed by provider and channel.

        With a channel, a provider's `*` entries count as that channel's unless the channel
        has its own entry for the code.
        """
        code = code.strip()
        found = [e for e in self.entries if e.code.lower() == code.lower()]
        if provider:
            found = [e for e in found if e.provider == provider]
        if channel:
            own = {(e.provider, e.code) for e in found if e.channel == channel}
            found = [
                e
                for e in found
                if e.channel == channel or (e.channel == "*" and (e.provider, e.code) not in own)
            ]
        return found

    def filter(
        self,
        provider: str | None = None,
        channel: str | None = None,
        category: str | None = None,
    ) -> list[CodeEntry]:
        return [
            e
            for e in self.entries
            if (not provider or e.provider == provider)
            and (not channel or e.channel in (channel, "*"))
            and (not category or e.category == category)
        ]
