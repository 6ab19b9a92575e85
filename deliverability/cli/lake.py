"""`deliverability lake build INPUT... --lake PATH`: send logs and delivery reports into a lake
of day-partitioned Parquet tables, by the store's rules, on DuckDB or Spark."""

from __future__ import annotations

import argparse
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from deliverability.catalog import CHANNELS, PROVIDERS
from deliverability.cli.common import add_format, add_lake_options, add_reveal_option, shown
from deliverability.ingest import totals
from deliverability.lake.build import build_lake
from deliverability.queries.filters import to_datetime
from deliverability.readers import reader_names
from deliverability.readers.base import ReadOptions
from deliverability.render import output
from deliverability.settings import catalog_extra

TABLE_SCHEMA = {
    "path": pl.String,
    "kind": pl.String,
    "provider": pl.String,
    "reader": pl.String,
    "rows_read": pl.Int64,
    "loaded": pl.Int64,
    "duplicates": pl.Int64,
    "rejected": pl.Int64,
}
HELP = "build or extend a lake of Parquet tables (for Spark, Trino, DuckDB) from log files"


def register(sub: argparse._SubParsersAction) -> None:
    lake = sub.add_parser("lake", help=HELP)
    actions = lake.add_subparsers(dest="lake_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help=HELP)
    build.add_argument(
        "paths",
        nargs="+",
        metavar="INPUT",
        help="log files, or folders of them (CSV, Parquet and the native formats ingest reads), "
        "here or in object storage: s3://bucket/key, gs://, az:// (a URL ending in / stands for "
        "the objects under it; pip install 'deliverability[lake]')",
    )
    build.add_argument("--lake", required=True, metavar="PATH", help="the lake's folder or URL")
    add_lake_options(build, reading=False)
    build.add_argument("--catalog-extra", help="your own catalog CSV; its entries win")
    build.add_argument("--kind", choices=("sends", "events", "auto"), default="auto")
    build.add_argument("--provider", choices=PROVIDERS, help="fills the provider column")
    build.add_argument("--channel", choices=[c for c in CHANNELS if c != "*"], help="fills channel")
    build.add_argument("--timezone", default="UTC", help="zone of naive timestamps (default UTC)")
    build.add_argument(
        "--received-at",
        metavar="TIME",
        help="when these files were received: the time of events that carry none of their "
        "own (default: each file's modification time)",
    )
    build.add_argument(
        "--format-hint",
        metavar="READER",
        help=f"read every file as READER, overriding detection: {', '.join(reader_names())}",
    )
    add_format(build)
    add_reveal_option(build)
    build.set_defaults(handler=cmd_lake_build)


def cmd_lake_build(args: argparse.Namespace) -> int:
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"--timezone {args.timezone!r} is not a time zone (e.g. UTC, America/Chicago)"
        ) from exc
    received_at = to_datetime(args.received_at) if args.received_at else None
    opts = ReadOptions(
        received_at=received_at,
        received_from="--received-at" if received_at else None,
        kind=args.kind,
        provider=args.provider,
        channel=args.channel,
        timezone=args.timezone,
        format_hint=args.format_hint,
    )
    session = None
    if args.engine == "spark":
        from deliverability.cli.common import spark_for

        session = spark_for(args)
    try:
        result = build_lake(
            list(args.paths),
            args.lake,
            engine=args.engine,
            opts=opts,
            catalog_extra=catalog_extra(args.catalog_extra),
            session=session,
        )
    finally:
        if session is not None:
            session.stop()
    for path, why in result.skipped:
        print(f"{path}: skipped, {why}", file=sys.stderr)
    for r in result.files:
        for error in r.errors:
            print(shown(args, error), file=sys.stderr)
    files = [
        {k: shown(args, v) if k in ("path", "errors") else v for k, v in r.as_dict().items()}
        for r in result.files
    ]
    files = [{k: v for k, v in f.items() if k != "already_ingested"} for f in files]
    summary = {
        "messages_derived": result.messages_derived,
        "days_rewritten": result.days_rewritten,
    }
    if args.format == "json":
        skipped = [{"path": p, "reason": why} for p, why in result.skipped]
        document = {
            "lake": args.lake,
            "engine": args.engine,
            "files": files,
            "totals": totals(result.files),
            "skipped": skipped,
            **summary,
        }
        print(output.to_json(document))
    else:
        rows = [{k: v for k, v in f.items() if k in TABLE_SCHEMA} for f in files]
        print(output.to_table(pl.DataFrame(rows, schema=TABLE_SCHEMA)))
        print(
            f"{summary['messages_derived']} messages derived, "
            f"{summary['days_rewritten']} days of messages and rollups written",
            file=sys.stderr,
        )
    return 1 if any(r.errors for r in result.files) else 0
