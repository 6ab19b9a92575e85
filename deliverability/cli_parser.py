"""The argument parser of `deliverability`: every command and option, documented in README."""

from __future__ import annotations

import argparse

from deliverability.catalog import CATEGORIES, CHANNELS, PROVIDERS


def _store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", help="store file (default: $DELIVERABILITY_DB or data/deliverability.duckdb)"
    )
    p.add_argument("--catalog-extra", help="your own catalog CSV; its entries win")


def _format(p: argparse.ArgumentParser, choices=("table", "json")) -> None:
    p.add_argument("--format", choices=choices, default="table")


def _filters(p: argparse.ArgumentParser, full: bool = True) -> None:
    p.add_argument("--since", help="UTC date or timestamp, inclusive (message send time)")
    p.add_argument("--until", help="UTC date or timestamp, exclusive")
    p.add_argument("--provider", help="provider id(s), comma-separated")
    p.add_argument("--channel", help="channel id(s), comma-separated")
    if full:
        p.add_argument("--carrier", help="carrier name(s), comma-separated")
        p.add_argument("--country", help="ISO country code(s), comma-separated")
        p.add_argument("--campaign", help="campaign(s), comma-separated")
        p.add_argument("--category", help="failure category(ies), comma-separated")
        p.add_argument("--code", help="status code(s), comma-separated")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deliverability",
        description="Deliverability analytics for SMS/MMS delivery reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    cat = sub.add_parser("catalog", help="look up status codes across providers")
    cat_sub = cat.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND")
    lookup = cat_sub.add_parser("lookup", help="every entry for a code")
    lookup.add_argument("code")
    lookup.add_argument("--provider", choices=PROVIDERS)
    lookup.add_argument("--channel", choices=CHANNELS)
    lookup.add_argument("--catalog-extra", help="your own catalog CSV; its entries win")
    _format(lookup)
    lookup.set_defaults(handler="catalog lookup")
    listing = cat_sub.add_parser("list", help="list catalog entries")
    listing.add_argument("--provider", choices=PROVIDERS)
    listing.add_argument("--channel", choices=CHANNELS)
    listing.add_argument("--category", choices=CATEGORIES)
    listing.add_argument("--catalog-extra", help="your own catalog CSV; its entries win")
    _format(listing, ("table", "json", "csv"))
    listing.set_defaults(handler="catalog list")
    stats = cat_sub.add_parser("stats", help="entries by provider, channel, category, outcome")
    stats.add_argument("--catalog-extra", help="your own catalog CSV; its entries win")
    _format(stats)
    stats.set_defaults(handler="catalog stats")

    ingest = sub.add_parser("ingest", help="load send logs and delivery reports into the store")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    _store_options(ingest)
    ingest.add_argument("--kind", choices=("sends", "events", "auto"), default="auto")
    ingest.add_argument("--provider", choices=PROVIDERS, help="fills the provider column")
    ingest.add_argument(
        "--channel", choices=[c for c in CHANNELS if c != "*"], help="fills channel"
    )
    ingest.add_argument("--timezone", default="UTC", help="zone of naive timestamps (default UTC)")
    ingest.add_argument("--format-hint", help="reader name, overriding detection")
    ingest.add_argument("--map", help="canonical=SourceColumn pairs for a CSV of unknown layout")
    ingest.add_argument("--mapping", help="saved mapping name: saves --map under it, or reuses it")
    ingest.add_argument(
        "--hash-recipients",
        action="store_true",
        help="store a keyed hash of each recipient (salt: DELIVERABILITY_RECIPIENT_SALT)",
    )
    ingest.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait while another process holds the store",
    )
    _format(ingest)
    ingest.set_defaults(handler="ingest")

    status = sub.add_parser("status", help="what the store holds")
    _store_options(status)
    _format(status)
    status.set_defaults(handler="status")

    report = sub.add_parser("report", help="counts and rates by any dimensions")
    _store_options(report)
    report.add_argument(
        "--by",
        help="DIM[,DIM...]: provider, channel, code, category, outcome, "
        "carrier, country, campaign, sender, day, week, hour",
    )
    _filters(report)
    _format(report, ("table", "json", "csv"))
    report.set_defaults(handler="report")

    from deliverability.cli_more import add_more_commands

    add_more_commands(sub, _store_options)
    from deliverability.cli_review import add_review_commands

    add_review_commands(sub, _store_options, _format)
    from deliverability.cli_spikes import add_analytics_commands

    add_analytics_commands(sub, _store_options, _format, _filters)
    return parser
