"""The display time zone: stored times are UTC; a team outside UTC reads days and weeks in
its own zone (the dashboard's ?tz=, the CLI's --display-tz).

Filters keep their window in UTC (what the SQL compares message times with) and carry the
zone the buckets are cut in; these helpers move a naive time between the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import polars as pl

DEFAULT_ZONE = "UTC"


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or "
            "America/New_York"
        ) from exc


def check_zone(name: str | None) -> str:
    """NAME if it is a time zone this machine knows (None or empty: UTC); else ValueError."""
    name = (name or "").strip() or DEFAULT_ZONE
    if name.upper() == DEFAULT_ZONE:
        return DEFAULT_ZONE
    _zone(name)
    return name


def zone_names() -> list[str]:
    """Every zone name to offer, UTC first."""
    return [DEFAULT_ZONE, *sorted(z for z in available_timezones() if z != DEFAULT_ZONE)]


@cache
def on_whole_hours(name: str) -> bool:
    """Whether NAME's offset from UTC has been a whole number of hours since 1970 (at both
    solstices of every year to 2050): then each UTC hour lies inside one local day, and the
    hourly counts can be re-bucketed into its days and weeks. India (+05:30) or Nepal
    (+05:45) cannot."""
    zone = _zone(name)
    for year in range(1970, 2051):
        for month in (1, 7):
            offset = datetime(year, month, 1, tzinfo=UTC).astimezone(zone).utcoffset()
            if offset is None or offset.total_seconds() % 3600:
                return False
    return True


def to_local(value: datetime | None, zone: str) -> datetime | None:
    """A naive UTC time as the naive wall-clock time in ZONE."""
    if value is None or zone == DEFAULT_ZONE:
        return value
    return value.replace(tzinfo=UTC).astimezone(_zone(zone)).replace(tzinfo=None)


def to_utc(value: datetime | None, zone: str) -> datetime | None:
    """A naive wall-clock time in ZONE as naive UTC (a time a clock change skips or repeats
    is read with the offset before the change)."""
    if value is None or zone == DEFAULT_ZONE:
        return value
    return value.replace(tzinfo=_zone(zone)).astimezone(UTC).replace(tzinfo=None)


def times_in_zone(frame: pl.DataFrame, zone: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """FRAME with its naive UTC datetime COLUMNS shown as wall-clock times in ZONE."""
    if zone == DEFAULT_ZONE:
        return frame
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(
        pl.col(c)
        .dt.replace_time_zone(DEFAULT_ZONE)
        .dt.convert_time_zone(zone)
        .dt.replace_time_zone(None)
        for c in present
    )
