"""The global filters every view, report and test applies the same way."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time


def to_datetime(value: date | datetime | str | None) -> datetime | None:
    """A UTC bound from a date, a datetime or ISO text (a bare date means its midnight)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _utc_naive(value)
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date or timestamp: {value!r} (use YYYY-MM-DD)") from exc
    return parsed if parsed.tzinfo is None else _utc_naive(parsed)


def _utc_naive(value: datetime) -> datetime:
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


def _tuple(value) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class Filters:
    """since is inclusive, until exclusive (UTC, on the message's send time or first event).

    Every other field is a tuple of accepted values; empty means no filter.
    """

    since: datetime | None = None
    until: datetime | None = None
    provider: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    carrier: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    campaign: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    code: tuple[str, ...] = ()

    @classmethod
    def build(cls, since=None, until=None, **dims) -> Filters:
        return cls(
            since=to_datetime(since),
            until=to_datetime(until),
            **{k: _tuple(v) for k, v in dims.items()},
        )

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    def params(self) -> dict:
        """The bound parameters of filtered_messages(...)."""
        return {
            "since": self.since,
            "until": self.until,
            "providers": list(self.provider),
            "channels": list(self.channel),
            "carriers": list(self.carrier),
            "countries": list(self.country),
            "campaigns": list(self.campaign),
            "categories": list(self.category),
            "codes": [c.lower() for c in self.code],
        }

    def describe(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                parts.append(
                    f"{f.name}={value if not isinstance(value, tuple) else ','.join(value)}"
                )
        return " ".join(parts) or "all messages"
