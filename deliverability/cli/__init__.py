"""The `deliverability` command: the same numbers as the dashboard, in a terminal.

One module per command group, each holding its parsers and their handlers (register adds
them); common.py opens the store, reads filters and prints. Exit status: 0 ok, 1 a file
could not be ingested (or a code is not in the catalog), 2 usage or store errors, 3 spikes
found with --fail-on-spike, 4 an alert could not be delivered to a destination (`alert`,
`watch`: what went is recorded, a rerun sends the rest), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys

from deliverability.carriers import CarrierTableError
from deliverability.catalog import CatalogError
from deliverability.cli import alert, analytics, catalog, dashboard, ingest, report, review, watch
from deliverability.connection import StoreBusy

GROUPS = (catalog, ingest, report, dashboard, review, analytics, alert, watch)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deliverability",
        description="Deliverability analytics for SMS/MMS delivery reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except (StoreBusy, CatalogError, CarrierTableError, ValueError) as exc:
        print(f"deliverability: {exc}", file=sys.stderr)
        return 2

    except BrokenPipeError:
        return 0
    except KeyboardInterrupt as exc:
        print(
            f"deliverability: {exc}" if str(exc) else "deliverability: interrupted", file=sys.stderr
        )
        return 130
