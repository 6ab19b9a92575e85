"""The global filters every view, report and test applies the same way."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time

from deliverability.queries.zones import (
    DEFAULT_ZONE,
    check_zone,
    on_whole_hours,
    to_local,
    to_utc,
)


def to_datetime(value: date | datetime | str | None, zone: str = DEFAULT_ZONE) -> datetime | None:
    """A UTC bound from a date, a datetime or ISO text. A bare date means its midnight and a
    time without an offset is a wall-clock time, both in ZONE."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_utc(value, zone) if value.tzinfo is None else _utc_naive(value)
    if isinstance(value, date):
        return to_utc(datetime.combine(value, time()), zone)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date or timestamp: {value!r} (use YYYY-MM-DD)") from exc
    return to_utc(parsed, zone) if parsed.tzinfo is None else _utc_naive(parsed)


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

    Every dimension field is a tuple of accepted values; empty means no filter. zone is the
    display time zone: time buckets (days, weeks) are cut at its midnights, and their
    period_start is its wall-clock time. The window stays in UTC whatever the zone.
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
    zone: str = DEFAULT_ZONE

    @classmethod
    def build(cls, since=None, until=None, zone: str | None = None, **dims) -> Filters:
        """Filters from loose values: since/until as dates, datetimes or ISO text read in
        ZONE (a time zone name; None: UTC), dimensions as lists or comma-separated text."""
        zone = check_zone(zone)
        return cls(
            since=to_datetime(since, zone),
            until=to_datetime(until, zone),
            zone=zone,
            **{k: _tuple(v) for k, v in dims.items()},
        )

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    @property
    def local_since(self) -> datetime | None:
        """since as a wall-clock time in the display zone (what period_start is compared to)."""
        return to_local(self.since, self.zone)

    @property
    def local_until(self) -> datetime | None:
        """until as a wall-clock time in the display zone."""
        return to_local(self.until, self.zone)

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
            "zone": self.zone,
            # Whether the hourly rollup can be re-bucketed into this zone's days and weeks.
            "zone_on_hours": on_whole_hours(self.zone),
        }

    def describe(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value and not (f.name == "zone" and value == DEFAULT_ZONE):
                parts.append(
                    f"{f.name}={value if not isinstance(value, tuple) else ','.join(value)}"
                )
        return " ".join(parts) or "all messages"
