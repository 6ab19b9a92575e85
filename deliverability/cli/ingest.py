"""`deliverability ingest PATH...`: load send logs and delivery reports into the store."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import polars as pl

from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import (
    FILE_TABLE_SCHEMA,
    add_format,
    add_read_options,
    add_reveal_option,
    add_store_options,
    open_store,
    read_options,
    shown,
)
from deliverability.ingest import ingest_files, log_files, totals
from deliverability.render import output
from deliverability.settings import recipient_salt


def register(sub: argparse._SubParsersAction) -> None:
    ingest = sub.add_parser("ingest", help=COMMANDS["ingest"].help)
    ingest.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="log files, or folders of them (files that are plainly not logs are skipped)",
    )
    add_store_options(ingest)
    add_read_options(ingest)
    ingest.add_argument("--map", help="canonical=SourceColumn pairs for a CSV of unknown layout")
    ingest.add_argument("--mapping", help="saved mapping name: saves --map under it, or reuses it")
    ingest.add_argument(
        "--hash-recipients",
        action="store_true",
        help="make a new store keep recipients only as keyed hashes, for this and every later "
        "ingest and upload (key: DELIVERABILITY_RECIPIENT_SALT or "
        "DELIVERABILITY_RECIPIENT_SALT_FILE, never stored)",
    )
    add_format(ingest)
    add_reveal_option(ingest)
    ingest.set_defaults(handler=cmd_ingest)


def parse_map(spec: str | None) -> dict[str, str]:
    """--map's canonical=SourceColumn pairs."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"--map: expected canonical=source pairs, got {part!r}")
        canonical, source = part.split("=", 1)
        mapping[canonical.strip().lower()] = source.strip()
    return mapping


def cmd_ingest(args: argparse.Namespace) -> int:
    opts = read_options(args)  # a bad --timezone is refused before the store is opened
    mapping = parse_map(args.map)
    salt = None
    if args.hash_recipients:
        salt = recipient_salt()
        if not salt:
            raise ValueError(
                "--hash-recipients needs a key: set DELIVERABILITY_RECIPIENT_SALT "
                "(or DELIVERABILITY_RECIPIENT_SALT_FILE)"
            )
    store = open_store(args)
    if salt:
        # Hashing is the store's from now on: every later ingest (and upload) hashes.
        store.hash_recipients_from_now(salt)
    if args.mapping:
        if mapping:
            store.save_mapping(args.mapping, mapping)
        else:
            mapping = store.load_mapping(args.mapping)
    opts = replace(opts, mapping=mapping)
    # Progress lines are for a person watching a terminal, not for pipes and cron mail.
    quiet = args.format == "json" or not sys.stderr.isatty()
    paths, skipped = log_files([Path(p) for p in args.paths])
    for path, why in skipped:
        print(f"{path}: skipped, {why}", file=sys.stderr)
    results = ingest_files(store, paths, opts, quiet)
    for r in results:
        for error in r.errors:
            # An error may quote the line it failed on, and the line a number.
            print(shown(args, error), file=sys.stderr)
    files = [
        {k: shown(args, v) if k in ("path", "errors") else v for k, v in r.as_dict().items()}
        for r in results
    ]
    files = [{k: v for k, v in f.items() if k != "already_ingested"} for f in files]
    if args.format == "json":
        skipped_files = [{"path": str(p), "reason": why} for p, why in skipped]
        print(output.to_json({"files": files, "totals": totals(results), "skipped": skipped_files}))
    else:
        rows = [{k: v for k, v in f.items() if k != "errors"} for f in files]
        print(output.to_table(pl.DataFrame(rows, schema=FILE_TABLE_SCHEMA)))
    return 0 if all(r.ok for r in results) else 1
