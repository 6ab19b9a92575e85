"""`deliverability alert`: send the spikes found in data not yet alerted on to Slack, Teams,
any JSON webhook or e-mail, each once (deliverability/alerts/ does the work).

Exit status 0 when everything due was sent or nothing was new, 4 when a destination could
not be reached or a delivery could not yet be recorded in the store (what went is recorded,
in the store or its journal; the next run sends only the rest).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from deliverability.alerts import journal, messages
from deliverability.alerts.config import (
    AlertConfig,
    ConfigError,
    Delivery,
    check_dashboard_url,
    load_config,
    make_rule,
)
from deliverability.alerts.destinations import WEBHOOK_FORMATS, Email, Webhook
from deliverability.alerts.runner import Options, Outcome, Plan, plan, send
from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import add_format, add_store_options, open_reader, open_store
from deliverability.connection import READ_WAIT_SECONDS, StoreBusy
from deliverability.queries.filters import to_datetime
from deliverability.queries.spike_settings import SpikeSettings
from deliverability.render import output
from deliverability.settings import db_path

DELIVERY_FAILED = 4
CONFIG_ENV = "DELIVERABILITY_ALERTS_CONFIG"
DASHBOARD_URL_ENV = "DELIVERABILITY_DASHBOARD_URL"
# Options every command's store options bring that alerting cannot take: the ledger that
# keeps each alert to one delivery is the store's.
LAKE_OPTIONS = ("lake", "spark_remote", "spark_master")


def add_alert_options(parser: argparse.ArgumentParser, rule_filters: bool = True) -> None:
    """The options `alert` and `watch` share: rules, destinations, how to send."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"alert rules and their destinations, TOML (default ${CONFIG_ENV}); see the README",
    )
    parser.add_argument(
        "--webhook",
        action="append",
        metavar="URL",
        help="a webhook to POST alerts to (repeatable); env:NAME reads the URL from the "
        "environment variable NAME, keeping it out of the process list",
    )
    parser.add_argument(
        "--webhook-format",
        choices=WEBHOOK_FORMATS,
        help="payload format (default: slack for hooks.slack.com, teams for Teams and Power "
        "Automate hosts, else json)",
    )
    parser.add_argument(
        "--smtp",
        metavar="URL",
        help="send e-mail: smtp://[user@]host[:port][?from=ADDRESS] (STARTTLS when offered) "
        "or smtps://; the password from DELIVERABILITY_SMTP_PASSWORD; env:NAME reads the URL",
    )
    parser.add_argument("--to", action="append", metavar="ADDRESS", help="e-mail recipient")
    parser.add_argument("--grain", choices=("day", "hour"), help="spike test grain (default hour)")
    if rule_filters:
        parser.add_argument("--provider", help="provider id(s), comma-separated")
        parser.add_argument("--channel", help="channel id(s), comma-separated")
        parser.add_argument("--code", help="status code(s), comma-separated")
        parser.add_argument("--category", help="failure category(ies), comma-separated")
        parser.add_argument(
            "--min-count",
            type=int,
            metavar="N",
            help=f"fewest messages on the code in a bucket (default {SpikeSettings.min_count})",
        )
    parser.add_argument(
        "--since",
        metavar="TIME",
        help="test buckets from this UTC date or time on (default: where the last run of "
        "each rule stopped, less a re-check window)",
    )
    parser.add_argument(
        "--digest", action="store_true", help="one message per destination for the whole run"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )
    parser.add_argument(
        "--dashboard-url",
        metavar="URL",
        help=f"the dashboard's address, to link each alert to its view (default ${DASHBOARD_URL_ENV})",
    )
    parser.add_argument(
        "--include-sustained",
        action="store_true",
        help="also alert on the weekly review's sustained rises against the 4-week baseline",
    )
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="per request (default 10)")
    parser.add_argument(
        "--retries",
        type=int,
        metavar="N",
        help="tries again after a failure that may pass, with backoff (default 2)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    alert = sub.add_parser(
        "alert",
        help=COMMANDS["alert"].help,
        description="Find spikes (the test of `spikes`) in data not yet alerted on and send "
        "one message per new spike, or one digest, to each destination. Exit 0 when sent or "
        f"nothing new, {DELIVERY_FAILED} when a destination failed (a rerun sends only that).",
    )
    add_store_options(alert)
    add_alert_options(alert)
    add_format(alert)
    alert.set_defaults(handler=cmd_alert)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def refuse_lake_options(args: argparse.Namespace, command: str) -> None:
    """--lake, --engine spark and the Spark options: alerting reads and writes the store."""
    given = [f"--{k.replace('_', '-')}" for k in LAKE_OPTIONS if getattr(args, k, None)]
    if getattr(args, "engine", "duckdb") not in (None, "duckdb"):
        given.append("--engine")
    if given:
        raise ConfigError(
            f"`{command}` works on the store (--db): its alert ledger is there, so "
            f"{given[0]} is not taken"
        )


def _rule_name(args: argparse.Namespace, grain: str) -> str:
    filters = [
        f"{k}={getattr(args, k)}"
        for k in ("provider", "channel", "code", "category")
        if getattr(args, k, None)
    ]
    return f"command line ({', '.join([grain, *filters])})"


def config_from_args(args: argparse.Namespace) -> AlertConfig:
    """The rules of --config, or one rule from the command line; ValueError (one line)."""
    config_path = args.config or (None if args.webhook or args.smtp else os.environ.get(CONFIG_ENV))
    inline = [
        f"--{k.replace('_', '-')}"
        for k in (
            "webhook",
            "smtp",
            "to",
            "grain",
            "provider",
            "channel",
            "code",
            "category",
            "min_count",
            "webhook_format",
        )
        if getattr(args, k, None) not in (None, "", [])
    ]
    if config_path and inline:
        raise ConfigError(
            f"--config takes its rules and destinations from the file; {inline[0]} belongs to "
            "a rule given on the command line instead"
        )
    dashboard_url = check_dashboard_url(args.dashboard_url or os.environ.get(DASHBOARD_URL_ENV))
    if config_path:
        config = load_config(Path(config_path))
    else:
        if args.to and not args.smtp:
            raise ConfigError("--to ADDRESS needs --smtp URL (the server to send through)")
        destinations = [Webhook.parse(url, args.webhook_format) for url in args.webhook or ()]
        if args.smtp:
            destinations.append(Email.parse(args.smtp, tuple(args.to or ())))
        if not destinations and not args.dry_run:
            raise ConfigError(
                "no destination: give --webhook URL, --smtp URL --to ADDRESS, or --config "
                f"alerts.toml (or set {CONFIG_ENV})"
            )
        grain = args.grain or "hour"
        min_count = getattr(args, "min_count", None)  # `watch` has no rule filters
        rule = make_rule(
            _rule_name(args, grain),
            tuple(destinations),
            grain=grain,
            providers=_split(getattr(args, "provider", None)),
            channels=_split(getattr(args, "channel", None)),
            codes=_split(getattr(args, "code", None)),
            categories=_split(getattr(args, "category", None)),
            min_count=SpikeSettings.min_count if min_count is None else min_count,
        )
        config = AlertConfig((rule,))
    delivery = config.delivery
    if args.timeout is not None or args.retries is not None:
        try:
            delivery = Delivery(
                timeout=args.timeout if args.timeout is not None else delivery.timeout,
                retries=args.retries if args.retries is not None else delivery.retries,
                backoff=delivery.backoff,
            )
        except ConfigError as exc:
            raise ConfigError(f"--{exc}") from None
    return replace(
        config,
        dashboard_url=dashboard_url or config.dashboard_url,
        digest=config.digest or args.digest,
        delivery=delivery,
    )


def options_from_args(args: argparse.Namespace) -> Options:
    """How to run: --since (ValueError when it is not a date or time), --dry-run, ..."""
    return Options(
        since=to_datetime(args.since),
        dry_run=args.dry_run,
        digest=args.digest,
        include_sustained=args.include_sustained,
    )


@contextmanager
def alert_lock(db: Path, wait: float) -> Iterator[None]:
    """One alert run at a time per store (a cron job and `watch` may overlap): otherwise
    both could send the same new spike before either records it."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): runs are not serialised
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".alerting"), "a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"store is busy: another `deliverability alert` on {db} ran for over "
                        f"{wait:g} s; retry with a longer --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class StoreLedger:
    """The store's alert ledger, opened for each write only (readers go on meanwhile), with
    the journal beside the store in front: a delivery is in the journal before the store is
    asked, so a store busy past --wait loses nothing; the next run folds it in."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.journal = journal.journal_path(db_path(args.db))
        self.busy: str | None = None  # why the last write did not reach the store
        self.rules_unrecorded = 0

    def pending(self) -> list[dict]:
        """Deliveries made but not yet in the store."""
        return journal.read(self.journal)

    def flush(self) -> bool:
        """Fold the journal into the store; False (the journal kept) while it is busy."""
        rows = self.pending()
        if not rows:
            journal.clear(self.journal)
            return True
        try:
            store = open_store(self.args)
        except StoreBusy as exc:
            self.busy = str(exc)
            return False
        try:
            store.record_alert_deliveries(rows)
        finally:
            store.close()
        journal.clear(self.journal)
        return True

    def record_deliveries(self, rows: list[dict]) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        journal.append(self.journal, [{"sent_at": now, **row} for row in rows])
        self.flush()

    def record_rule(self, row: dict) -> None:
        # A rule not recorded looks again at the same ingests next time: the ledger and
        # the journal keep what it sent from going twice.
        try:
            store = open_store(self.args)
        except StoreBusy as exc:
            self.busy = str(exc)
            self.rules_unrecorded += 1
            return
        try:
            store.record_alert_rule(row)
        finally:
            store.close()


def _line(outcome: Outcome) -> str:
    words = {"sent": "sent", "failed": "FAILED", "skipped": "not sent", "dry_run": "would send"}
    digest = " (in a digest)" if outcome.in_digest else ""
    text = f"{words[outcome.status]}: {outcome.alert.title}, {messages.when(outcome.alert)}"
    text += f" → {outcome.destination.label}{digest}"
    return text + (f": {outcome.error}" if outcome.error else "")


def _dry_run_text(the_plan: Plan, outcomes: list[Outcome]) -> str:
    """What --dry-run shows: each message as its text would read, per destination."""
    blocks = []
    seen: set[tuple[str, str]] = set()
    for outcome in outcomes:
        key = (outcome.destination.key, outcome.alert.key)
        if key not in seen:
            seen.add(key)
            blocks.append(
                f"--- would send to {outcome.destination.label}\n"
                + messages.plain_text([outcome.alert])
            )
    if not outcomes:
        # No destination (a dry run may have none): what the rules found.
        found = [a for p in the_plan.rules for a in p.found if not p.rule.destinations]
        blocks += [messages.plain_text([a]) for a in found]
    return "\n".join(blocks)


def run_alerts(args: argparse.Namespace, config: AlertConfig, options: Options) -> int:
    """Plan, send and report one run; the exit status (0, or DELIVERY_FAILED)."""
    as_json = getattr(args, "format", "table") == "json"
    wait = READ_WAIT_SECONDS if getattr(args, "wait", None) is None else args.wait
    ledger = StoreLedger(args)
    with alert_lock(db_path(args.db), wait):
        if not options.dry_run:
            ledger.flush()
        con = open_reader(args)
        try:
            the_plan = plan(con, config, options, ledger.pending())
        finally:
            con.close()

        def live(outcome: Outcome) -> None:
            if as_json or options.dry_run:
                return
            if outcome.status == "sent":
                print(_line(outcome), flush=True)
            else:
                print(f"deliverability: {_line(outcome)}", file=sys.stderr, flush=True)

        outcomes = send(the_plan, config, options, ledger, on_outcome=live)
        unrecorded = 0 if options.dry_run else len(ledger.pending())
    failed = [o for o in outcomes if o.status in ("failed", "skipped")]
    sent = sum(1 for o in outcomes if o.status == "sent")
    if as_json:
        print(output.to_json(_document(the_plan, outcomes, options)))
    elif options.dry_run:
        text = _dry_run_text(the_plan, outcomes)
        print(text if text.strip() else "nothing new to send")
    found = sum(len(p.found) for p in the_plan.rules)
    if the_plan.data_until is None:
        summary = "the store holds no messages yet: nothing to alert on"
    elif options.dry_run:
        summary = (
            f"dry run: {found} finding(s), {len(outcomes)} delivery(ies) due; nothing sent "
            "or recorded"
        )
    elif not outcomes:
        before = f"{found} finding(s), all sent before" if found else "no spikes"
        summary = f"nothing new to send ({before})"
    else:
        summary = f"{sent} sent, {len(failed)} not delivered"
    print(summary, file=sys.stderr)
    if unrecorded or ledger.rules_unrecorded:
        print(
            f"deliverability: {unrecorded} delivered alert(s) could not be recorded in the "
            f"store ({ledger.busy}): they are kept in {ledger.journal.name} beside it, and the "
            "next run records them and does not send them again",
            file=sys.stderr,
        )
    return DELIVERY_FAILED if failed or unrecorded or ledger.rules_unrecorded else 0


def _document(the_plan: Plan, outcomes: list[Outcome], options: Options) -> dict:
    return {
        "dry_run": options.dry_run,
        "data_until": the_plan.data_until,
        "rules": [
            {"rule": p.rule.name, "since": p.since, "found": len(p.found), "due": len(p.due)}
            for p in the_plan.rules
        ],
        "deliveries": [
            {
                "status": o.status,
                "destination": o.destination.label,
                "in_digest": o.in_digest,
                "error": o.error,
                "alert": o.alert.document(),
            }
            for o in outcomes
        ],
        "sent": sum(1 for o in outcomes if o.status == "sent"),
        "failed": sum(1 for o in outcomes if o.status in ("failed", "skipped")),
    }


def cmd_alert(args: argparse.Namespace) -> int:
    refuse_lake_options(args, "alert")
    options = options_from_args(args)
    return run_alerts(args, config_from_args(args), options)
