"""One run of the alert rules, in two steps so the store is held only while it is read or
written, never while a message is on its way:

1. plan (on a read-only connection): for every rule, the spikes of the `spikes` test (the
   same filters and grain, over the same data, so the same q-values) in the buckets it has
   not looked at since: those of the messages the ingests after its last run brought or
   changed, however old (late delivery reports, backfilled exports), and from the first
   bucket whose alert did not go; a first run looks at the last day (three at day grain).
   With include_sustained, the review's sustained rises too. What each destination was
   already sent (the alert ledger, and the journal of deliveries not yet in it) is left
   out; an alert a destination has had goes again, as an update, only when its count has
   grown markedly since.
2. send: per destination one message per alert, or one digest; each delivery is recorded
   (LEDGER) the moment it succeeds, so a run after a partial failure sends only what
   failed. After a failure, a destination's further messages wait for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import duckdb

from deliverability.alerts import messages
from deliverability.alerts.config import AlertConfig, Rule
from deliverability.alerts.destinations import Destination, Email, Webhook
from deliverability.alerts.findings import Alert, Reviews, spike_alerts, sustained_alerts
from deliverability.alerts.transport import DeliveryFailed, email_message, post_json, send_email
from deliverability.queries.alerts import alert_rules, delivered, latest_ingest, touched_span
from deliverability.queries.messages import time_range

# What a rule's first run looks at, before the newest data: its later runs test the buckets
# that later ingests touch, so this only decides how much history a new rule announces.
RECHECK = {"hour": timedelta(days=1), "day": timedelta(days=3)}
# "Grown markedly": by half again what was sent, and by at least the rule's minimum count.
GROWTH = 1.5


class Ledger(Protocol):
    """Where deliveries and rules are recorded (the store, through the CLI)."""

    def record_deliveries(self, rows: list[dict]) -> None: ...

    def record_rule(self, row: dict) -> None: ...


@dataclass(frozen=True)
class Options:
    since: datetime | None = None  # test from here on instead of where each rule stopped
    dry_run: bool = False  # send nothing, record nothing
    digest: bool = False  # one message per destination
    include_sustained: bool = False  # every rule alerts on sustained rises too


@dataclass
class RulePlan:
    rule: Rule
    since: datetime | None  # the earliest bucket it looked at (None: none)
    found: list[Alert] = field(default_factory=list)
    due: list[tuple[Alert, Destination]] = field(default_factory=list)


@dataclass
class Plan:
    rules: list[RulePlan]
    data_until: datetime | None  # the store's latest message time
    ingest_id: int | None = None  # the newest ingest the plan saw
    ingest_at: datetime | None = None  # and when it finished


@dataclass
class Outcome:
    alert: Alert
    destination: Destination
    status: str  # sent | failed | skipped (after a failure) | dry_run
    error: str | None = None
    in_digest: bool = False


def grew_markedly(previous: int, now: int, min_count: int) -> bool:
    return now >= previous * GROWTH and now - previous >= min_count


def _floor(moment: datetime, grain: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if grain == "day" else moment


# A span of buckets to look at: from (inclusive) to (inclusive; None: to the end).
Span = tuple[datetime, datetime | None]


def rule_spans(
    con: duckdb.DuckDBPyConnection, rule: Rule, last_run: dict | None, data_until: datetime
) -> list[Span]:
    """Which buckets RULE looks at: those of the messages the ingests after its last run
    brought or changed, and from the first bucket whose alert did not go; on a first run,
    or when the rule changed (a filter, a destination), the re-check window before the
    newest data too."""
    if last_run is None or last_run.get("checked_ingest") is None:
        return [(_floor(data_until - RECHECK[rule.grain], rule.grain), None)]
    spans: list[Span] = []
    if any(last_run.get(k) != v for k, v in rule.describe().items()):
        spans.append((_floor(data_until - RECHECK[rule.grain], rule.grain), None))
    first, last = touched_span(con, last_run["checked_ingest"], last_run["checked_ingest_at"])
    if first is not None:
        spans.append((_floor(first, rule.grain), last))
    if last_run.get("retry_from") is not None:
        spans.append((last_run["retry_from"], None))
    return spans


def _within(moment: datetime, spans: list[Span]) -> bool:
    return any(moment >= start and (end is None or moment <= end) for start, end in spans)


def plan(
    con: duckdb.DuckDBPyConnection,
    config: AlertConfig,
    options: Options,
    pending: Iterable[dict] = (),
) -> Plan:
    """What each rule found and what is due where (read-only). PENDING: deliveries made but
    not yet in the store's ledger (the journal), counted as sent."""
    data_until = time_range(con)["last_at"]
    if data_until is None:
        return Plan([], None)
    ingest_id, ingest_at = latest_ingest(con)
    last_runs = {row["rule"]: row for row in alert_rules(con).iter_rows(named=True)}
    reviews = Reviews(con)
    plans = []
    for rule in config.rules:
        if options.since is not None:
            # `spikes --since` with the rule's filters: every spike it finds is a candidate.
            since: datetime | None = options.since
            found = spike_alerts(con, rule, options.since, config.dashboard_url)
        else:
            spans = rule_spans(con, rule, last_runs.get(rule.name), data_until)
            since = min((start for start, _ in spans), default=None)
            # `spikes` with the rule's filters over all the data, so the same spikes and
            # q-values as `spikes` shows; only those in the rule's spans are candidates.
            found = (
                [
                    a
                    for a in spike_alerts(con, rule, None, config.dashboard_url)
                    if _within(a.period_start, spans)
                ]
                if spans
                else []
            )
        if rule.include_sustained or options.include_sustained:
            found += sustained_alerts(con, rule, reviews, config.dashboard_url)
        plans.append(RulePlan(rule, since, found))
    keys = sorted({a.key for p in plans for a in p.found})
    sent = (
        {(r["alert_key"], r["destination"]): r for r in delivered(con, keys).iter_rows(named=True)}
        if keys
        else {}
    )
    for row in pending:
        pair = (row["alert_key"], row["destination"])
        if row["alert_key"] in keys and (
            pair not in sent or (sent[pair]["sent_at"] or datetime.min) <= row["sent_at"]
        ):
            sent[pair] = row
    for rule_plan in plans:
        for alert in rule_plan.found:
            for destination in rule_plan.rule.destinations:
                before = sent.get((alert.key, destination.key))
                if before is None:
                    rule_plan.due.append((alert, destination))
                elif grew_markedly(before["count"], alert.count, rule_plan.rule.min_count):
                    update = alert.as_update(before["count"], before["sent_at"])
                    rule_plan.due.append((update, destination))
    return Plan(plans, data_until, ingest_id, ingest_at)


def deliver(destination: Destination, alerts: list[Alert], config: AlertConfig) -> None:
    """Send ALERTS (one, or a digest) to DESTINATION; DeliveryFailed when it did not go."""
    if isinstance(destination, Webhook):
        post_json(
            destination, messages.webhook_payload(destination.format, alerts), config.delivery
        )
    elif isinstance(destination, Email):
        message = email_message(
            destination,
            messages.subject(alerts),
            messages.plain_text(alerts),
            messages.email_html(alerts),
        )
        send_email(destination, message, config.delivery)


def ledger_row(alert: Alert, destination: Destination, in_digest: bool) -> dict:
    return {
        "alert_key": alert.key,
        "destination": destination.key,
        "destination_label": destination.label,
        "rule": alert.rule,
        "kind": alert.kind,
        "is_update": alert.is_update,
        "in_digest": in_digest,
        "period_start": alert.period_start,
        "grain": alert.grain,
        "provider": alert.provider,
        "channel": alert.channel,
        "code": alert.code,
        "dimension": alert.dimension,
        "value": alert.value,
        "count": alert.count,
        "messages": alert.messages,
        "rate": alert.rate,
        "baseline_rate": alert.baseline_rate,
        "ratio": alert.ratio,
        "q_value": alert.q_value,
        "title": alert.title,
    }


def _by_destination(the_plan: Plan) -> dict[str, tuple[Destination, list[Alert]]]:
    """Due alerts per destination, each alert once (two rules may find the same spike)."""
    grouped: dict[str, tuple[Destination, list[Alert]]] = {}
    for rule_plan in the_plan.rules:
        for alert, destination in rule_plan.due:
            _, alerts = grouped.setdefault(destination.key, (destination, []))
            if all(a.key != alert.key for a in alerts):
                alerts.append(alert)
    return grouped


def send(
    the_plan: Plan,
    config: AlertConfig,
    options: Options,
    ledger: Ledger,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Send what THE_PLAN has due, recording each delivery as it succeeds, then each rule's
    run (how far it looked). Nothing is sent or recorded with options.dry_run."""
    outcomes: list[Outcome] = []

    def note(outcome: Outcome) -> None:
        outcomes.append(outcome)
        on_outcome(outcome)

    for destination, alerts in _by_destination(the_plan).values():
        digest = len(alerts) > 1 and (options.digest or config.digest or destination.digest)
        groups = [alerts] if digest else [[a] for a in alerts]
        failure: str | None = None
        for group in groups:
            for_each = [Outcome(a, destination, "dry_run", None, digest) for a in group]
            if options.dry_run:
                pass
            elif failure is not None:
                why = f"not tried: an earlier message to this destination failed ({failure})"
                for_each = [Outcome(a, destination, "skipped", why, digest) for a in group]
            else:
                try:
                    deliver(destination, group, config)
                except DeliveryFailed as exc:
                    failure = str(exc)
                    for_each = [Outcome(a, destination, "failed", failure, digest) for a in group]
                else:
                    ledger.record_deliveries([ledger_row(a, destination, digest) for a in group])
                    for_each = [Outcome(a, destination, "sent", None, digest) for a in group]
            for outcome in for_each:
                note(outcome)
    if not options.dry_run:
        _record_rules(the_plan, outcomes, ledger)
    return outcomes


def _record_rules(the_plan: Plan, outcomes: list[Outcome], ledger: Ledger) -> None:
    """Each rule as run: the newest ingest it saw (the next run looks at what came after)
    and, when a spike of it did not go, that spike's bucket, from which the next run looks
    again whatever arrives meanwhile."""
    by_pair = {(o.alert.key, o.destination.key): o for o in outcomes}
    for rule_plan in the_plan.rules:
        mine = [by_pair[(a.key, d.key)] for a, d in rule_plan.due if (a.key, d.key) in by_pair]
        unsent = [
            o.alert.period_start for o in mine if o.status != "sent" and o.alert.kind == "spike"
        ]
        ledger.record_rule(
            rule_plan.rule.describe()
            | {
                "checked_until": the_plan.data_until,
                "checked_ingest": the_plan.ingest_id,
                "checked_ingest_at": the_plan.ingest_at,
                "retry_from": min(unsent, default=None),
                "last_sent": sum(1 for o in mine if o.status == "sent"),
                "last_failed": sum(1 for o in mine if o.status in ("failed", "skipped")),
            }
        )
