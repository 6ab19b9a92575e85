"""What a rule would alert on: the spikes of the `spikes` test (queries/spikes.py) in the
data it has not looked at yet, and with include_sustained the weekly review's rises against
its 4-week baseline (queries/review.py). Each becomes an `Alert` with the code's meaning and
advice from the catalog, its top contributors (phone numbers masked) and a link to the
dashboard's view of it. Nothing here sends or writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

import duckdb
import polars as pl

from deliverability.alerts.config import Rule
from deliverability.queries.filters import Filters
from deliverability.queries.messages import code_entry
from deliverability.queries.privacy import scrub_frame
from deliverability.queries.review import Review, default_week, weekly_review
from deliverability.queries.spikes import find_spikes

# Rows of the review that rose against the 4-week baseline (not only against last week).
SUSTAINED_FLAGS = ("baseline", "both")


@dataclass(frozen=True)
class Alert:
    """One spike or sustained rise, as every message format shows it. Text fields hold log
    and catalog values as they are (phone numbers masked): each format escapes them."""

    key: str  # identity in the ledger: the same spike has the same key in every run
    kind: str  # spike | sustained
    rule: str
    grain: str  # hour | day | week
    period_start: datetime  # the bucket; a sustained rise's week's Monday
    provider: str | None
    channel: str | None
    code: str | None
    count: int  # messages of the bucket ending on the code (sustained: failed that week)
    messages: int  # the exposure: all messages of the provider and channel (or the value)
    rate: float
    baseline_rate: float | None
    ratio: float | None
    q_value: float | None
    p_value: float | None = None
    dimension: str | None = None  # a sustained rise's: code, carrier, country or campaign
    value: str | None = None
    week: str | None = None
    name: str | None = None  # the catalog's name of the code
    category: str | None = None
    description: str | None = None
    advice: str | None = None
    advice_from: str | None = None  # provider | category
    link: str | None = None  # the provider's page on the code
    contributors: tuple[dict, ...] = ()  # dimension, value, count, excess (largest first)
    dashboard_url: str | None = None
    previous_count: int | None = None  # set on an update: the count sent before
    previous_sent_at: datetime | None = None

    @property
    def is_update(self) -> bool:
        return self.previous_count is not None

    def as_update(self, count: int, sent_at: datetime | None) -> Alert:
        return replace(self, previous_count=count, previous_sent_at=sent_at)

    @property
    def subject(self) -> str:
        """What rose: 'azure_acs · sms · 7101 (Carrier filter)', 'carrier Verizon'."""
        if self.kind == "sustained" and self.dimension != "code":
            return f"{self.dimension} {self.value if self.value is not None else '(none)'}"
        parts = [self.provider or "?", self.channel or "(no channel)", self.code or "?"]
        named = f" ({self.name})" if self.name else ""
        return " · ".join(parts) + named

    @property
    def title(self) -> str:
        what = "Spike" if self.kind == "spike" else "Sustained rise"
        update = "Update: " if self.is_update else ""
        return f"{update}{what}: {self.subject}"

    def document(self) -> dict:
        """The alert as the JSON webhook format sends it (README: "JSON payload")."""
        return {
            "kind": self.kind,
            "update": self.is_update,
            "title": self.title,
            "rule": self.rule,
            "grain": self.grain,
            "period_start": f"{self.period_start.isoformat()}Z",  # UTC, said so
            "week": self.week,
            "provider": self.provider,
            "channel": self.channel,
            "code": self.code,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "advice": self.advice,
            "advice_from": self.advice_from,
            "link": self.link,
            "dimension": self.dimension,
            "value": self.value,
            "count": self.count,
            "messages": self.messages,
            "rate": self.rate,
            "baseline_rate": self.baseline_rate,
            "ratio": self.ratio,
            "p_value": self.p_value,
            "q_value": self.q_value,
            "previous_count": self.previous_count,
            "top_contributors": list(self.contributors),
            "dashboard_url": self.dashboard_url,
        }


def spike_key(grain: str, period_start: datetime, provider, channel, code) -> str:
    return "|".join(
        ["spike", grain, period_start.isoformat(), provider or "", channel or "", code or ""]
    )


def _meaning(con: duckdb.DuckDBPyConnection, provider, channel, code) -> dict:
    entry = code_entry(con, provider, channel, code) if provider else None
    if not entry:
        return {}
    keep = ("name", "category", "description", "advice", "advice_from", "link")
    return {k: (entry.get(k) or None) for k in keep}


def _spike_link(base: str | None, row: dict, grain: str) -> str | None:
    """The dashboard's Spikes page on the spike's day, its provider and channel, at its grain,
    with the spike picked (spike_code, spike_at), in UTC as the alert is (tz)."""
    if not base:
        return None
    day = row["period_start"].date()
    params = [
        ("since", day.isoformat()),
        ("until", (day + timedelta(days=1)).isoformat()),
        ("provider", row["provider"]),
    ]
    if row["channel"]:
        params.append(("channel", row["channel"]))
    params += [
        ("grain", grain),
        ("spike_code", row["code"]),
        ("spike_at", row["period_start"].isoformat(timespec="minutes")),
        ("tz", "UTC"),
    ]
    return f"{base}/spikes?{urlencode(params)}"


def spike_alerts(
    con: duckdb.DuckDBPyConnection,
    rule: Rule,
    since: datetime | None,
    dashboard_url: str | None = None,
) -> list[Alert]:
    """The spikes RULE finds in buckets from SINCE on (earlier data is their baseline; None:
    every bucket), exactly as `spikes` finds them with the rule's filters and grain."""
    filters = Filters.build(
        since=since,
        provider=rule.providers,
        channel=rule.channels,
        code=rule.codes,
        category=rule.categories,
    )
    # Contributors may be senders that are phone numbers: masked as every output masks them.
    # Only they: a long code is a code, and masking it would merge distinct spikes' keys.
    found = scrub_frame(find_spikes(con, filters, rule.settings), ["top_contributors"])
    alerts = []
    for row in found.iter_rows(named=True):
        meaning = _meaning(con, row["provider"], row["channel"], row["code"])
        alerts.append(
            Alert(
                key=spike_key(
                    rule.grain, row["period_start"], row["provider"], row["channel"], row["code"]
                ),
                kind="spike",
                rule=rule.name,
                grain=rule.grain,
                period_start=row["period_start"],
                provider=row["provider"],
                channel=row["channel"],
                code=row["code"],
                count=int(row["count"]),
                messages=int(row["messages"]),
                rate=row["rate"],
                baseline_rate=row["baseline_rate"],
                ratio=row["ratio"],
                p_value=row["p_value"],
                q_value=row["q_value"],
                **{"name": row["name"], "category": row["category"], **meaning},
                contributors=tuple(row["top_contributors"] or ()),
                dashboard_url=_spike_link(dashboard_url, row, rule.grain),
            )
        )
    return alerts


class Reviews:
    """The weekly review of the last complete week, computed once per run for every rule."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._review: Review | None = None
        self._looked = False

    def latest(self) -> Review | None:
        if not self._looked:
            self._looked = True
            week = default_week(self.con)
            self._review = weekly_review(self.con, week) if week else None
        return self._review


def _matches(rule: Rule, dimension: str, row: dict) -> bool:
    """A code row is the rule's when its provider, channel, code and category are; a
    carrier, country or campaign row spans providers: only a rule without filters has it."""
    if dimension != "code":
        return not rule.filtered
    checks = (
        (rule.providers, row.get("provider")),
        (rule.channels, row.get("channel")),
        (rule.codes, (row.get("code") or "").lower()),
        (rule.categories, row.get("category")),
    )
    return all(not wanted or value in wanted for wanted, value in checks)


def sustained_alerts(
    con: duckdb.DuckDBPyConnection, rule: Rule, reviews: Reviews, dashboard_url: str | None
) -> list[Alert]:
    """The review's rows (codes, carriers, countries, campaigns) whose failure rate rose
    significantly against the 4-week baseline in the last complete week."""
    review = reviews.latest()
    if review is None:
        return []
    link = f"{dashboard_url}/review?{urlencode({'week': review.week})}" if dashboard_url else None
    alerts = []
    for dimension, frame in review.worse.items():
        rows = frame.filter(pl.col("flagged_by").is_in(list(SUSTAINED_FLAGS)))
        for row in rows.iter_rows(named=True):
            if not _matches(rule, dimension, row) or row["failed_current"] < rule.min_count:
                continue
            value = row.get(dimension)
            provider, channel = row.get("provider"), row.get("channel")
            code = row.get("code") if dimension == "code" else None
            meaning = _meaning(con, provider, channel, code) if code else {}
            base = row.get("rate_baseline")
            alerts.append(
                Alert(
                    key="|".join(
                        [
                            "sustained",
                            review.week,
                            dimension,
                            provider or "",
                            channel or "",
                            "" if value is None else str(value),
                        ]
                    ),
                    kind="sustained",
                    rule=rule.name,
                    grain="week",
                    period_start=review.start,
                    week=review.week,
                    provider=provider,
                    channel=channel,
                    code=code,
                    dimension=dimension,
                    value=None if value is None else str(value),
                    count=int(row["failed_current"]),
                    messages=int(row["messages_current"]),
                    rate=row["rate_current"],
                    baseline_rate=base,
                    ratio=row["rate_current"] / base if base else None,
                    p_value=row.get("p_value_baseline"),
                    q_value=row.get("q_value_baseline"),
                    **{"name": row.get("name"), "category": row.get("category"), **meaning},
                    dashboard_url=link,
                )
            )
    return alerts
