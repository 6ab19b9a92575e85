"""`deliverability watch FOLDER [--once]`: for teams that drop exports in a folder. New log
files are ingested as they appear (the same path as `deliverability ingest`), and the alert
rules run after each ingest (as `deliverability alert` with the same options).

A file is taken once it has stopped changing: its modification time is at least --settle
seconds old, and (between polls) its size and time did not move since the previous look,
so a file still being copied in is left for a later pass. A file the store already holds
is skipped without being read again (unchanged since its ingest began), and the store's
fingerprints skip a copy of one under another name. A file that could not be ingested, or
is such a copy, is remembered by its path, size and modification time in a small file
beside the store (`STORE.watch-state.json`), so it is reported once and a cron run does not
fail on it forever: it is read again once it changes. --once makes one pass and exits, for
cron or a systemd timer; without it the folder is polled every --interval seconds until
Ctrl-C (exit 130).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deliverability.alerts.config import AlertConfig
from deliverability.catalog import CHANNELS, PROVIDERS
from deliverability.cli.alert import (
    CONFIG_ENV,
    DELIVERY_FAILED,
    add_alert_options,
    config_from_args,
    options_from_args,
    refuse_lake_options,
    run_alerts,
)
from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import add_store_options, open_reader, open_store, shown
from deliverability.connection import StoreBusy
from deliverability.ingest import IngestInterrupted, ingest_files, log_files
from deliverability.load_staged import FileResult
from deliverability.queries.status import ingested_paths
from deliverability.readers.base import ReadOptions
from deliverability.settings import db_path

INGEST_FAILED = 1


def register(sub: argparse._SubParsersAction) -> None:
    watch = sub.add_parser(
        "watch",
        help=COMMANDS["watch"].help,
        description="Ingest new files in FOLDER (and below) once they stop changing, and run "
        "the alert rules (--config, or --webhook / --smtp) after each ingest. --once: one "
        "pass for cron or a systemd timer.",
    )
    watch.add_argument("folder", metavar="FOLDER")
    add_store_options(watch)
    watch.add_argument("--once", action="store_true", help="one pass, then exit")
    watch.add_argument(
        "--interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between looks at the folder (default 60)",
    )
    watch.add_argument(
        "--settle",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a file is taken once unchanged for this long (default 10): it may still be "
        "being written",
    )
    watch.add_argument("--kind", choices=("sends", "events", "auto"), default="auto")
    watch.add_argument(
        "--provider",
        dest="ingest_provider",
        choices=PROVIDERS,
        help="fills the provider column of files that lack it",
    )
    watch.add_argument(
        "--channel",
        dest="ingest_channel",
        choices=[c for c in CHANNELS if c != "*"],
        help="fills channel",
    )
    watch.add_argument("--timezone", default="UTC", help="zone of naive timestamps (default UTC)")
    add_alert_options(watch, rule_filters=False)
    watch.set_defaults(handler=cmd_watch)


Signature = tuple[int, int]  # a file's size and modification time (ns)


def state_path(db: Path) -> Path:
    return db.with_name(db.name + ".watch-state.json")


class FolderWatch:
    """Which files of a folder are ready to ingest: new or changed, and settled. With a
    STATE file, the files refused (or copies of stored ones) are remembered across runs."""

    def __init__(self, folder: Path, settle: float, state: Path | None = None) -> None:
        self.folder = folder
        self.settle = settle
        self.state = state
        self.looked: dict[Path, Signature] = {}  # at the previous pass
        self.done: dict[Path, Signature] = {}  # ingested (or refused) as it was then
        self.refused: dict[str, Signature] = self._load()
        self.done.update({Path(k): v for k, v in self.refused.items()})

    def _load(self) -> dict[str, Signature]:
        if self.state is None:
            return {}
        try:
            data = json.loads(self.state.read_text(encoding="utf-8"))
            return {str(k): (int(v[0]), int(v[1])) for k, v in data["refused"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return {}  # none yet, or unreadable: every such file is looked at once more

    def remember(self, results: list[FileResult]) -> None:
        """Keep the files refused or found to be copies (as they are now) in the state
        file; a file ingested since is forgotten there."""
        if self.state is None:
            return
        before = dict(self.refused)
        for result in results:
            signature = self.looked.get(Path(result.path))
            if (not result.ok or result.already_ingested) and signature is not None:
                self.refused[str(result.path)] = signature
            else:
                self.refused.pop(str(result.path), None)
        if self.refused != before:
            temporary = self.state.with_name(self.state.name + ".tmp")
            temporary.write_text(json.dumps({"refused": self.refused}, indent=1), "utf-8")
            temporary.replace(self.state)

    def ready(self, ingested: dict[str, datetime], now: float | None = None) -> list[Path]:
        now = time.time() if now is None else now
        files, _ = log_files([self.folder])
        found = []
        for path in files:
            try:
                info = path.stat()
            except OSError:
                continue  # gone since it was listed
            signature = (info.st_size, info.st_mtime_ns)
            previous = self.looked.get(path)
            self.looked[path] = signature
            if self.done.get(path) == signature:
                continue
            began = ingested.get(str(path))
            modified = datetime.fromtimestamp(info.st_mtime, UTC).replace(tzinfo=None)
            if began is not None and modified < began:
                self.done[path] = signature  # in the store as it is now
                continue
            settled = now - info.st_mtime >= self.settle
            if settled and (previous is None or previous == signature):
                found.append(path)
        return found

    def taken(self, paths: list[Path]) -> None:
        for path in paths:
            if path in self.looked:
                self.done[path] = self.looked[path]


def _report(args: argparse.Namespace, result: FileResult) -> None:
    if result.errors:
        for error in result.errors:
            print(f"deliverability: {shown(args, error)}", file=sys.stderr, flush=True)
        return
    what = (
        "already ingested"
        if result.already_ingested
        else (f"{result.loaded} loaded, {result.duplicates} duplicates, {result.rejected} rejected")
    )
    print(f"ingested {shown(args, result.path)}: {what}", flush=True)


def _one_pass(
    args: argparse.Namespace,
    watcher: FolderWatch,
    read: ReadOptions,
    config: AlertConfig | None,
    alerts_due: bool,
) -> tuple[list[FileResult], bool]:
    """Ingest the files ready in the folder, then run the alert rules when there is reason
    to: after an ingest that loaded rows, when ALERTS_DUE (a delivery failed, or the store
    was busy), and on every --once pass (a cron run after a failed one sends what failed).
    Returns the files' results and whether the rules must run again at the next look."""
    con = open_reader(args)
    try:
        ingested = ingested_paths(con)
    finally:
        con.close()
    ready = watcher.ready(ingested)
    results: list[FileResult] = []
    if ready:
        store = open_store(args)
        try:
            results = ingest_files(store, ready, read, quiet=not sys.stderr.isatty())
        finally:
            store.close()
        watcher.taken(ready)
        watcher.remember(results)
        for result in results:
            _report(args, result)
    if config is not None and (any(r.loaded for r in results) or alerts_due or args.once):
        alerts_due = run_alerts(args, config, options_from_args(args)) == DELIVERY_FAILED
    return results, alerts_due


def _alerts_configured(args: argparse.Namespace) -> bool:
    return bool(args.config or args.webhook or args.smtp or os.environ.get(CONFIG_ENV))


def cmd_watch(args: argparse.Namespace) -> int:
    refuse_lake_options(args, "watch")
    folder = Path(args.folder).resolve()
    if not folder.is_dir():
        raise ValueError(f"{args.folder}: not a folder")
    if args.interval <= 0 or args.settle < 0:
        raise ValueError("--interval must be above 0 seconds and --settle at least 0")
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"--timezone {args.timezone!r} is not a time zone") from exc
    config = config_from_args(args) if _alerts_configured(args) or args.dry_run else None
    if config is None:
        print("no alert rules (--config, --webhook or --smtp): ingesting only", file=sys.stderr)
    read = ReadOptions(
        kind=args.kind,
        provider=args.ingest_provider,
        channel=args.ingest_channel,
        timezone=args.timezone,
    )
    watcher = FolderWatch(folder, args.settle, state_path(db_path(args.db)))
    alerts_due = False
    try:
        while True:
            try:
                results, alerts_due = _one_pass(args, watcher, read, config, alerts_due)
            except StoreBusy as exc:
                if args.once:
                    raise
                # A long ingest or report elsewhere: this pass waits for the next look, and
                # the alert rules run then whatever it finds (they may not have run now).
                alerts_due = True
                print(
                    f"deliverability: {exc}; looking again in {args.interval:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                results = []
            if args.once:
                if alerts_due:
                    return DELIVERY_FAILED
                return INGEST_FAILED if any(not r.ok for r in results) else 0
            time.sleep(args.interval)
    except IngestInterrupted:
        raise  # its own message: which file, and that the store is as before it
    except KeyboardInterrupt:
        print("deliverability: watch stopped", file=sys.stderr)
        return 130
