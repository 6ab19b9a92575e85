"""`deliverability status` and `deliverability report`: what the store holds, and counts and
rates by any dimensions (the dashboard's numbers in a terminal)."""

from __future__ import annotations

import argparse

from deliverability import queries
from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import (
    add_filters,
    add_format,
    add_reveal_option,
    add_store_options,
    dimensions,
    emit,
    filters_from,
    open_reader,
    shown,
)
from deliverability.render import output
from deliverability.settings import db_path


def register(sub: argparse._SubParsersAction) -> None:
    status = sub.add_parser("status", help=COMMANDS["status"].help)
    add_store_options(status)
    add_format(status)
    add_reveal_option(status)
    status.set_defaults(handler=cmd_status)

    report = sub.add_parser("report", help=COMMANDS["report"].help)
    add_store_options(report)
    report.add_argument("--by", help=f"DIM[,DIM...]: {', '.join(queries.DIMENSIONS)}")
    add_filters(report)
    add_format(report, ("table", "json", "csv"))
    add_reveal_option(report)
    report.set_defaults(handler=cmd_report)


def cmd_status(args: argparse.Namespace) -> int:
    con = open_reader(args)
    # Example status texts and carrier names may quote a phone number.
    info = shown(args, queries.status(con))
    con.close()
    if args.format == "json":
        print(output.to_json(info))
        return 0
    print(f"lake: {args.lake}" if args.lake else f"store: {db_path(args.db)}")
    print(f"messages: {info['messages']}  from {info['first_at']} to {info['last_at']}")
    print(f"files ingested: {info['files_ingested']}  rejected rows: {info['rejected_rows']}")
    print(f"\nmessages by provider and channel\n{output.to_table(info['by_provider_channel'])}")
    print(f"\nuncatalogued codes\n{output.to_table(info['uncatalogued_codes'])}")
    print(f"\ncarrier names not in the carrier table\n{output.to_table(info['unlisted_carriers'])}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    con = open_reader(args)
    frame = queries.report(con, dimensions(args.by), filters)
    total = queries.totals(con, filters)
    con.close()
    emit(args, frame, {"totals": total, "rows": frame})
    return 0
