"""Parse the provider seed documents (catalog/sources) independently of the catalog files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent / "catalog" / "sources"
SHARED_SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"

PROVIDER_BY_FILE = {
    "000_c99a1a684862e294.txt": "azure_acs",
    "001_1ac49cc717840300.txt": "sfmc",
    "002_cdfde7e8c45b1e32.txt": "sinch",
    "003_39ae796ba84f3513.txt": "webex_connect",
    "004_406fff21109a2107.txt": "chirp",
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
    file: str
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
        rows.append(SeedRow(path.name, provider, section, channel, code, name, other))
    return rows


def all_seed_rows() -> list[SeedRow]:
    return [row for path in sorted(SOURCES.glob("0*.txt")) for row in parse_seed(path)]
