"""Alert rules and where each sends: from a TOML file (`--config alerts.toml`) or from the
command line (one rule). The README's "Alert rules" section shows the file.

A rule is the `spikes` command's test with its filters (provider, channel, code, category),
minimum count and grain, plus the destinations its alerts go to, so Azure's spikes can go
to one channel and Twilio's to another. Every mistake in the file is refused with one line
naming the file and line ("alerts.toml:12: rule 'azure': unknown key 'provder'").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from deliverability.alerts.destinations import (
    WEBHOOK_FORMATS,
    Destination,
    DestinationError,
    Email,
    Webhook,
)
from deliverability.catalog import CATEGORIES, CHANNELS, PROVIDERS
from deliverability.queries.spike_settings import SpikeSettings

GRAINS = ("hour", "day")


class ConfigError(ValueError):
    """A rule or destination that cannot be used: one line, naming the file and line."""


@dataclass(frozen=True)
class Delivery:
    """How hard to try: each HTTP request or SMTP session may take `timeout` seconds, and a
    failure that may pass (a timeout, a refused connection, HTTP 429 or 5xx, SMTP 4xx) is
    tried again up to `retries` times, waiting `backoff` seconds, then twice that, ..."""

    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= 600:
            raise ConfigError(f"timeout must be between 0 and 600 seconds, not {self.timeout}")
        if not 0 <= self.retries <= 10:
            raise ConfigError(f"retries must be between 0 and 10, not {self.retries}")
        if not 0 <= self.backoff <= 60:
            raise ConfigError(f"backoff must be between 0 and 60 seconds, not {self.backoff}")


@dataclass(frozen=True)
class Rule:
    """Which spikes a rule alerts on and where they go."""

    name: str
    destinations: tuple[Destination, ...] = ()
    grain: str = "hour"
    providers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_count: int = SpikeSettings.min_count
    include_sustained: bool = False

    @property
    def settings(self) -> SpikeSettings:
        return SpikeSettings(grain=self.grain, min_count=self.min_count)

    @property
    def filtered(self) -> bool:
        """Whether the rule looks at some providers, channels, codes or categories only."""
        return bool(self.providers or self.channels or self.codes or self.categories)

    def describe(self) -> dict[str, object]:
        """The rule as the ledger keeps it: filters and destination labels, no secrets."""
        return {
            "rule": self.name,
            "grain": self.grain,
            "providers": ",".join(self.providers) or None,
            "channels": ",".join(self.channels) or None,
            "codes": ",".join(self.codes) or None,
            "categories": ",".join(self.categories) or None,
            "min_count": self.min_count,
            "sustained": self.include_sustained,
            "destinations": ", ".join(d.label for d in self.destinations) or None,
        }


@dataclass(frozen=True)
class AlertConfig:
    rules: tuple[Rule, ...]
    dashboard_url: str | None = None
    digest: bool = False
    delivery: Delivery = field(default_factory=Delivery)


def check_dashboard_url(url: object, what: str = "--dashboard-url") -> str | None:
    if url is None or url == "":
        return None
    if not isinstance(url, str):
        raise ConfigError(f"{what} must be a text (an http(s) URL)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{what}: not an http(s) URL: {url!r}")
    return url.rstrip("/")


def _checked_values(values: tuple[str, ...], known: tuple[str, ...], what: str) -> tuple[str, ...]:
    for value in values:
        if value not in known:
            raise ConfigError(f"unknown {what} {value!r} (one of {', '.join(known)})")
    return values


def make_rule(
    name: str,
    destinations: tuple[Destination, ...],
    grain: str = "hour",
    providers=(),
    channels=(),
    codes=(),
    categories=(),
    min_count: int = SpikeSettings.min_count,
    include_sustained: bool = False,
) -> Rule:
    """A checked rule; ConfigError (without a place: the caller adds it) when it is wrong."""
    if grain not in GRAINS:
        raise ConfigError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ConfigError(f"min_count must be a whole number of at least 1, not {min_count!r}")
    return Rule(
        name=name,
        destinations=destinations,
        grain=grain,
        providers=_checked_values(tuple(providers), PROVIDERS, "provider"),
        channels=_checked_values(
            tuple(channels), tuple(c for c in CHANNELS if c != "*"), "channel"
        ),
        codes=tuple(str(c).strip().lower() for c in codes if str(c).strip()),
        categories=_checked_values(tuple(categories), CATEGORIES, "category"),
        min_count=min_count,
        include_sustained=include_sustained,
    )


# -- the file ---------------------------------------------------------------------------------

TOP_KEYS = {"dashboard_url", "digest", "include_sustained", "delivery", "destinations", "rules"}
DELIVERY_KEYS = {"timeout", "retries", "backoff"}
WEBHOOK_KEYS = {"webhook", "format", "digest"}
EMAIL_KEYS = {"smtp", "to", "from", "password", "digest"}
RULE_KEYS = {
    "name",
    "provider",
    "channel",
    "code",
    "category",
    "min_count",
    "grain",
    "include_sustained",
    "destinations",
}


class _Lines:
    """Where things are in the file's text, for messages that name a line (tomllib gives
    positions for syntax errors only)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _header(self, pattern: str, nth: int = 0) -> int | None:
        found = [i for i, line in enumerate(self.lines) if re.match(pattern, line)]
        return found[nth] if nth < len(found) else None

    def section(self, kind: str, name: str | None = None, nth: int = 0) -> int | None:
        """The 0-based line of [delivery], [destinations.NAME] or the NTH [[rules]]."""
        if kind == "rules":
            return self._header(r"\s*\[\[\s*rules\s*\]\]", nth)
        if name is None:
            return self._header(rf"\s*\[\s*{kind}\s*\]")
        quoted = rf"(?:{re.escape(name)}|\"{re.escape(name)}\"|'{re.escape(name)}')"
        return self._header(rf"\s*\[\s*{kind}\s*\.\s*{quoted}\s*\]")

    def key(self, key: str, start: int | None) -> int | None:
        """The line of KEY = in the section starting at START (None: the top level)."""
        first = 0 if start is None else start + 1
        for i in range(first, len(self.lines)):
            line = self.lines[i]
            if re.match(r"\s*\[", line):
                break
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                return i
        return start


# Builds the error for a message and a 0-based line (None: the top of the file).
Fail = Callable[[str, int | None], ConfigError]


def _list(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigError(f"{what} must be a text or a list of texts")


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a text")
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{what} must be true or false")
    return value


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{what} must be a number")
    return value


def _unknown(table: dict, known: set[str], where: str) -> str | None:
    extra = sorted(set(table) - known)
    if extra:
        return f"{where}: unknown key {extra[0]!r} (known: {', '.join(sorted(known))})"
    return None


def _named_key(message: str, where: str, keys: set[str], default: str) -> str:
    """The key MESSAGE (about WHERE) is about: the first of KEYS it names after WHERE."""
    detail = message[len(where) :] if message.startswith(where) else message
    named = [(m.start(), k) for k in keys if (m := re.search(rf"\b{k}\b", detail))]
    return min(named)[1] if named else default


def load_config(path: Path) -> AlertConfig:
    """The rules of the TOML file at PATH; ConfigError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the alert config: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        place = f"{path}:{line.group(1)}" if line else str(path)
        raise ConfigError(f"{place}: not valid TOML: {str(exc).split(' (at ')[0]}") from exc
    lines = _Lines(text)

    def fail(message: str, line: int | None) -> ConfigError:
        return ConfigError(f"{path}:{(line or 0) + 1}: {message}")

    if problem := _unknown(data, TOP_KEYS, "top level"):
        bad = sorted(set(data) - TOP_KEYS)[0]
        raise fail(problem, lines.key(bad, None))
    try:
        dashboard_url = check_dashboard_url(data.get("dashboard_url"), "dashboard_url")
        digest = _bool(data.get("digest", False), "digest")
        sustained = _bool(data.get("include_sustained", False), "include_sustained")
    except ConfigError as exc:
        key = next(k for k in ("dashboard_url", "digest", "include_sustained") if k in str(exc))
        raise fail(str(exc), lines.key(key, None)) from exc
    delivery = _delivery(data.get("delivery", {}), lines, fail)
    destinations = _destinations(data.get("destinations", {}), lines, fail)
    rules_data = data.get("rules", [])
    if not isinstance(rules_data, list) or not rules_data:
        raise fail(
            "no [[rules]]: a rule names the spikes to alert on and its destinations",
            lines.key("rules", None),
        )
    rules: list[Rule] = []
    for index, table in enumerate(rules_data):
        start = lines.section("rules", nth=index)
        rule = _rule(table, index, destinations, sustained, start, lines, fail)
        if any(r.name == rule.name for r in rules):
            raise fail(f"two rules are named {rule.name!r}", lines.key("name", start))
        rules.append(rule)
    return AlertConfig(tuple(rules), dashboard_url, digest, delivery)


def _delivery(table: object, lines: _Lines, fail: Fail) -> Delivery:
    start = lines.section("delivery")
    if not isinstance(table, dict):
        raise fail("[delivery] must be a table", start)
    if problem := _unknown(table, DELIVERY_KEYS, "[delivery]"):
        raise fail(problem, lines.key(sorted(set(table) - DELIVERY_KEYS)[0], start))
    values = {}
    for key in DELIVERY_KEYS & set(table):
        try:
            values[key] = _number(table[key], f"[delivery] {key}")
        except ConfigError as exc:
            raise fail(str(exc), lines.key(key, start)) from exc
    try:
        return Delivery(**{k: (int(v) if k == "retries" else float(v)) for k, v in values.items()})
    except ConfigError as exc:
        key = _named_key(str(exc), "", DELIVERY_KEYS, "timeout")
        raise fail(f"[delivery] {exc}", lines.key(key, start)) from exc


def _destinations(tables: object, lines: _Lines, fail: Fail) -> dict[str, Destination]:
    if not isinstance(tables, dict):
        raise fail("[destinations] must hold tables: [destinations.NAME]", None)
    found: dict[str, Destination] = {}
    for name, table in tables.items():
        start = lines.section("destinations", name)
        where = f"destination {name!r}"
        if not isinstance(table, dict):
            raise fail(f"{where} must be a table [destinations.{name}]", start)
        if ("webhook" in table) == ("smtp" in table):
            raise fail(f"{where} needs one of webhook = URL or smtp = URL", start)
        known = WEBHOOK_KEYS if "webhook" in table else EMAIL_KEYS
        if problem := _unknown(table, known, where):
            raise fail(problem, lines.key(sorted(set(table) - known)[0], start))
        try:
            digest = _bool(table.get("digest", False), f"{where}: digest")
            if "webhook" in table:
                fmt = table.get("format")
                if fmt is not None and fmt not in WEBHOOK_FORMATS:
                    raise ConfigError(
                        f"{where}: format must be one of {', '.join(WEBHOOK_FORMATS)}"
                    )
                url = _text(table["webhook"], f"{where}: webhook")
                found[name] = Webhook.parse(url, fmt, digest, name, where)
            else:
                to = _list(table.get("to", []), f"{where}: to")
                password = table.get("password")
                sender = table.get("from")
                found[name] = Email.parse(
                    _text(table["smtp"], f"{where}: smtp"),
                    to,
                    sender=None if sender is None else _text(sender, f"{where}: from"),
                    password=None if password is None else _text(password, f"{where}: password"),
                    digest=digest,
                    name=name,
                    what=where,
                )
        except (ConfigError, DestinationError) as exc:
            default = "webhook" if "webhook" in table else "smtp"
            key = _named_key(str(exc), where, known, default)
            raise fail(str(exc), lines.key(key, start)) from exc
    return found


def _rule(
    table: object,
    index: int,
    destinations: dict[str, Destination],
    sustained: bool,
    start: int | None,
    lines: _Lines,
    fail: Fail,
) -> Rule:
    if not isinstance(table, dict):
        raise fail("[[rules]] must be tables", start)
    name = table.get("name") or f"rule {index + 1}"
    if not isinstance(name, str):
        raise fail(f"rule {index + 1}: name must be a text", lines.key("name", start))
    where = f"rule {name!r}"
    if problem := _unknown(table, RULE_KEYS, where):
        raise fail(problem, lines.key(sorted(set(table) - RULE_KEYS)[0], start))
    names = table.get("destinations")
    if not names:
        raise fail(f"{where} has no destinations = [...] (names of [destinations.NAME])", start)
    chosen = []
    try:
        for dest in _list(names, f"{where}: destinations"):
            if dest not in destinations:
                known = ", ".join(destinations) or "none defined"
                raise ConfigError(f"{where}: no destination named {dest!r} (known: {known})")
            chosen.append(destinations[dest])
    except ConfigError as exc:
        raise fail(str(exc), lines.key("destinations", start)) from exc
    try:
        values = {
            arg: _list(table.get(key, []), f"{where}: {key}")
            for key, arg in (
                ("provider", "providers"),
                ("channel", "channels"),
                ("code", "codes"),
                ("category", "categories"),
            )
        }
        include = _bool(table.get("include_sustained", sustained), f"{where}: include_sustained")
        return make_rule(
            name,
            tuple(chosen),
            grain=table.get("grain", "hour"),
            min_count=table.get("min_count", SpikeSettings.min_count),
            include_sustained=include,
            **values,
        )
    except ConfigError as exc:
        message = str(exc) if str(exc).startswith(where) else f"{where}: {exc}"
        raise fail(
            message, lines.key(_named_key(message, where, RULE_KEYS, "name"), start)
        ) from exc
