"""`deliverability lake build INPUT... --lake PATH`: send logs and delivery reports into a lake
of day-partitioned Parquet tables, by the store's rules, on DuckDB or Spark."""

from __future__ import annotations

import argparse
import sys

import polars as pl

from deliverability.cli.common import (
    FILE_TABLE_SCHEMA,
    add_format,
    add_lake_options,
    add_read_options,
    add_reveal_option,
    read_options,
    shown,
)
from deliverability.ingest import totals
from deliverability.lake.build import build_lake
from deliverability.lake.urls import refuse_credentials
from deliverability.render import output
from deliverability.settings import catalog_extra

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
    add_read_options(
        build,
        received_at_help="when these files were received: the time of events that carry none "
        "of their own (default: each file's modification time)",
    )
    add_format(build)
    add_reveal_option(build)
    build.set_defaults(handler=cmd_lake_build)


def cmd_lake_build(args: argparse.Namespace) -> int:
    if "://" in args.lake:
        refuse_credentials(args.lake)
    opts = read_options(args)
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
        rows = [{k: v for k, v in f.items() if k in FILE_TABLE_SCHEMA} for f in files]
        print(output.to_table(pl.DataFrame(rows, schema=FILE_TABLE_SCHEMA)))
        print(
            f"{summary['messages_derived']} messages derived, "
            f"{summary['days_rewritten']} days of messages and rollups written",
            file=sys.stderr,
        )
    return 1 if any(r.errors for r in result.files) else 0
