"""Where alerts go: a webhook (Slack, Teams or plain JSON) or e-mail through an SMTP server.

A destination's URL is a secret (a Slack or Teams webhook URL is its own credential; an SMTP
URL may carry a password), so a destination is only ever shown by its `label` (kind and
host) and kept in the ledger by its `key`, a one-way digest. Secrets reach a destination
from the environment (`env:NAME` instead of a value) or the config file, so they need not
appear on a command line, in a process list or in shell history.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

WEBHOOK_FORMATS = ("slack", "teams", "json")
ENV_PREFIX = "env:"
# The password of an SMTP URL that names a user but no password.
SMTP_PASSWORD_ENV = "DELIVERABILITY_SMTP_PASSWORD"
# Webhook hosts whose format is known without one given.
SLACK_HOSTS = ("hooks.slack.com",)
TEAMS_HOSTS = (".webhook.office.com", ".logic.azure.com", ".powerplatform.com")
# One address: no spaces, commas, angle brackets or line breaks (header injection).
_ADDRESS = re.compile(r"[^@\s,<>;\"']+@[^@\s,<>;\"']+\.[^@\s,<>;\"']+")


class DestinationError(ValueError):
    """A destination that cannot be used; the message never holds its secret."""


def resolve_secret(value: str, what: str) -> str:
    """VALUE, or the environment variable it names as `env:NAME`; DestinationError (naming
    the variable, never a value) when that variable is unset or empty."""
    if not value.startswith(ENV_PREFIX):
        return value
    name = value[len(ENV_PREFIX) :].strip()
    found = os.environ.get(name, "").strip()
    if not name or not found:
        raise DestinationError(f"{what}: environment variable {name or '(none)'} is not set")
    return found


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def detect_format(url: str) -> str:
    """slack for Slack's webhook host, teams for Teams' and Power Automate's, else json."""
    host = (urlsplit(url).hostname or "").lower()
    if host in SLACK_HOSTS:
        return "slack"
    if any(host.endswith(suffix) for suffix in TEAMS_HOSTS):
        return "teams"
    return "json"


def _check_url_text(url: str, what: str) -> None:
    """A URL is printable ASCII without spaces: urllib would refuse it only when sending
    (after other destinations had their messages), or send a line break into the request."""
    bad = next((c for c in url if not (33 <= ord(c) <= 126)), None)
    if bad is not None:
        shown = "a space" if bad == " " else "a line break" if bad in "\r\n" else "a character"
        raise DestinationError(
            f"{what}: the URL holds {shown} a URL cannot (U+{ord(bad):04X}); percent-encode it"
        )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def _host_port(host: str | None, port: int | None) -> str:
    host = host or "?"
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


@dataclass(frozen=True)
class Webhook:
    """An incoming webhook that takes a JSON POST: Slack's, Teams', or any (json)."""

    url: str = field(repr=False)
    format: str = "json"
    digest: bool = False
    name: str | None = None

    @classmethod
    def parse(
        cls,
        value: str,
        fmt: str | None = None,
        digest: bool = False,
        name: str | None = None,
        what: str = "--webhook",
    ) -> Webhook:
        """The webhook at VALUE (a URL, or env:NAME); FMT None: by its host (detect_format),
        looked at once env:NAME is resolved."""
        url = resolve_secret(value.strip(), what)
        _check_url_text(url, what)
        fmt = fmt or detect_format(url)
        if fmt not in WEBHOOK_FORMATS:
            raise DestinationError(f"{what}: format must be one of {', '.join(WEBHOOK_FORMATS)}")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise DestinationError(f"{what}: not a valid URL ({exc})") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            scheme = parts.scheme or "none"
            raise DestinationError(f"{what}: not an http(s) URL with a host (scheme {scheme})")
        return cls(url=url, format=fmt, digest=digest, name=name)

    @property
    def kind(self) -> str:
        return "webhook"

    @property
    def fingerprint(self) -> str:
        """Six hex digits of the URL's SHA-256: tells two webhooks on one host apart, and
        reveals nothing of the URL (its secret path has far more than 24 bits)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:6]

    @property
    def label(self) -> str:
        """What a person is shown: the format, host and fingerprint, never the path or
        query (the secret part of a Slack or Teams webhook URL)."""
        parts = urlsplit(self.url)
        host = _host_port(parts.hostname, parts.port)
        text = f"{self.format} webhook {host} #{self.fingerprint}"
        return f"{self.name} ({text})" if self.name else text

    @property
    def key(self) -> str:
        """The ledger's name for this destination: one-way, the same for the same URL."""
        return _digest("webhook", self.url)


@dataclass(frozen=True)
class Email:
    """E-mail through an SMTP server: smtp://[user[:password]@]host[:port][?from=ADDRESS],
    or smtps:// for TLS from the start. smtp:// upgrades with STARTTLS when the server
    offers it, and refuses to send a password unencrypted to a host beyond loopback."""

    url: str = field(repr=False)
    to: tuple[str, ...] = ()
    sender: str | None = None
    password: str | None = field(default=None, repr=False)
    digest: bool = False
    name: str | None = None

    @classmethod
    def parse(
        cls,
        value: str,
        to: tuple[str, ...] | list[str],
        sender: str | None = None,
        password: str | None = None,
        digest: bool = False,
        name: str | None = None,
        what: str = "--smtp",
    ) -> Email:
        url = resolve_secret(value.strip(), what)
        _check_url_text(url, what)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise DestinationError(f"{what}: not a valid URL ({exc})") from exc
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            scheme = parts.scheme or "none"
            raise DestinationError(
                f"{what}: not an smtp:// or smtps:// URL with a host (scheme {scheme})"
            )
        if not to:
            raise DestinationError(f"{what}: e-mail needs at least one recipient (--to ADDRESS)")
        for address in to:
            if not _ADDRESS.fullmatch(address):
                raise DestinationError(
                    f"{what}: recipient (to) {address!r} is not an e-mail address"
                )
        query = parse_qs(parts.query)
        sender = sender or (query.get("from") or [None])[0]
        if sender is not None and not _ADDRESS.fullmatch(sender):
            raise DestinationError(f"{what}: from {sender!r} is not an e-mail address")
        if password is not None:
            password = resolve_secret(password, f"{what} password")
        elif parts.password is not None:
            password = unquote(parts.password)
        elif parts.username:
            password = os.environ.get(SMTP_PASSWORD_ENV) or None
            if password is None:
                raise DestinationError(
                    f"{what}: user {unquote(parts.username)!r} needs a password: "
                    f'set {SMTP_PASSWORD_ENV} (or password = "env:NAME" in the config file)'
                )
        return cls(
            url=url, to=tuple(to), sender=sender, password=password, digest=digest, name=name
        )

    @property
    def kind(self) -> str:
        return "email"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (465 if parts.scheme == "smtps" else 25)

    @property
    def tls(self) -> bool:
        """TLS from the first byte (smtps://)."""
        return urlsplit(self.url).scheme == "smtps"

    @property
    def user(self) -> str | None:
        user = urlsplit(self.url).username
        return unquote(user) if user else None

    @property
    def from_address(self) -> str:
        """?from= (or the config's `from`), else the login when it is an address."""
        if self.sender:
            return self.sender
        if self.user and _ADDRESS.fullmatch(self.user):
            return self.user
        return "deliverability-alerts@localhost"

    @property
    def label(self) -> str:
        text = f"email via {_host_port(self.host, self.port)} to {', '.join(self.to)}"
        return f"{self.name} ({text})" if self.name else text

    @property
    def key(self) -> str:
        return _digest("email", self.host, str(self.port), *sorted(a.lower() for a in self.to))


Destination = Webhook | Email
