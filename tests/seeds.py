"""Parse the provider seed documents (catalog/sources) independently of the catalog files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent / "catalog" / "sources"

# Source file -> the catalog provider its codes belong to.
PROVIDER_BY_FILE = {
    "azure_acs.txt": "azure_acs",
    "sfmc.txt": "sfmc",
    "sinch_mm7.txt": "sinch",
    "webex_connect.txt": "webex_connect",
    "chirp.txt": "chirp",
}

WEBEX_CHANNELS = {
    "Common Error Codes across Channels": "*",
    "SMS": "sms",
    "Voice": "voice",
    "Push": "push",
    "In-App Messaging and Live Chat": "in_app",
    "Email": "email",
    "Messenger": "messenger",
    "Google Business Messages": "google_business_messages",
    "Instagram": "instagram",
    "Twitter DM (Currently not supported)": "twitter_dm",
    "Apple Messages for Business": "apple_messages",
    "WeChat": "wechat",
    "WhatsApp": "whatsapp",
    "RCS": "rcs",
    "MMS": "mms",
}


@dataclass(frozen=True)
class SeedRow:
    file: str  # as the catalog's source column names it
    provider: str
    section: str
    channel: str
    code: str
    name: str
    other: tuple[str, ...]  # the row's remaining cells, verbatim


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_seed(path: Path) -> list[SeedRow]:
    provider = PROVIDER_BY_FILE[path.name]
    section = ""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if "|" not in text:
            if text and not text.startswith(("In addition", "Error descriptions", ">", "#", "<")):
                section = text
            continue
        cells = _cells(text)
        if provider == "chirp":
            if len(cells) < 4 or not re.fullmatch(r"`[a-z_]+`", cells[1]):
                continue
            code, name, other = cells[1].strip("`"), cells[0], (cells[2], cells[3])
        else:
            if not re.fullmatch(r"\d+", cells[0]):
                continue
            code, name, other = cells[0], cells[1], tuple(c for c in cells[2:] if c)
        channel = {
            "azure_acs": "sms",
            "sfmc": "sms",
            "sinch": "mms",
            "chirp": "*",
        }.get(provider) or WEBEX_CHANNELS[section]
        rows.append(SeedRow(f"sources/{path.name}", provider, section, channel, code, name, other))
    return rows


def all_seed_rows() -> list[SeedRow]:
    return [row for name in PROVIDER_BY_FILE for row in parse_seed(SOURCES / name)]


def recorded_checksums() -> dict[str, str]:
    """file -> sha256, from the table in catalog/sources/README.md."""
    table = [_cells(line) for line in (SOURCES / "README.md").read_text().splitlines()]
    return {cells[0]: cells[4] for cells in table if cells and cells[0].endswith(".txt")}
