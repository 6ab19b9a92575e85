"""`deliverability catalog lookup|list|stats`: the code catalog, without a store."""

from __future__ import annotations

import argparse
import sys

import polars as pl

from deliverability.catalog import (
    CATEGORIES,
    CHANNELS,
    PROVIDERS,
    PUBLIC_FIELDS,
    Catalog,
    CodeEntry,
)
from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import add_format, add_reveal_option, emit, shown
from deliverability.render import output
from deliverability.settings import catalog_extra

TABLE_COLUMNS = [
    "provider",
    "channel",
    "code",
    "variant",
    "name",
    "outcome",
    "category",
    "final",
    "retryable",
    "origin",
]


def register(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("catalog", help=COMMANDS["catalog"].help)
    cat_sub = cat.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND")
    extra_help = "your own catalog CSV; its entries win"

    lookup = cat_sub.add_parser("lookup", help="every entry for a code")
    lookup.add_argument("code")
    lookup.add_argument("--provider", choices=PROVIDERS)
    lookup.add_argument("--channel", choices=CHANNELS)
    lookup.add_argument("--catalog-extra", help=extra_help)
    add_format(lookup)
    add_reveal_option(lookup)
    lookup.set_defaults(handler=cmd_lookup)

    listing = cat_sub.add_parser("list", help="list catalog entries")
    listing.add_argument("--provider", choices=PROVIDERS)
    listing.add_argument("--channel", choices=CHANNELS)
    listing.add_argument("--category", choices=CATEGORIES)
    listing.add_argument("--catalog-extra", help=extra_help)
    add_format(listing, ("table", "json", "csv"))
    add_reveal_option(listing)
    listing.set_defaults(handler=cmd_list)

    stats = cat_sub.add_parser("stats", help="entries by provider, channel, category, outcome")
    stats.add_argument("--catalog-extra", help=extra_help)
    add_format(stats)
    add_reveal_option(stats)
    stats.set_defaults(handler=cmd_stats)


def entries_frame(entries: list[CodeEntry]) -> pl.DataFrame:
    rows = [{k: getattr(e, k) for k in PUBLIC_FIELDS} for e in entries]
    if not rows:
        return pl.DataFrame(schema=dict.fromkeys(PUBLIC_FIELDS, pl.String))
    return pl.DataFrame(rows, schema={k: None for k in PUBLIC_FIELDS})


def cmd_lookup(args: argparse.Namespace) -> int:
    catalog = Catalog.load(catalog_extra(args.catalog_extra))
    found = catalog.lookup(args.code, args.provider, args.channel)
    if not found:
        where = " ".join(
            f"{k}={v}" for k, v in (("provider", args.provider), ("channel", args.channel)) if v
        )
        print(f"uncatalogued: no entry for code {args.code!r} {where}".rstrip(), file=sys.stderr)
    frame = entries_frame(found)
    if args.format == "json":
        print(output.to_json(shown(args, frame)))
    else:
        # A lookup is read in full: descriptions and advice are not cut.
        emit(
            args,
            frame.select([*TABLE_COLUMNS[:5], "description", *TABLE_COLUMNS[5:]]),
            max_width=None,
        )
        for entry in found:
            where = f"{entry.provider} {entry.channel} {entry.code}"
            if entry.advice:
                origin = (
                    f" (for {entry.category} failures in general)"
                    if entry.advice_from == "category"
                    else ""
                )
                print(shown(args, f"\n{where} advice{origin}: {entry.advice}"))
            if entry.link:
                print(f"{where} provider's page: {entry.link}")
    return 0 if found else 1


def cmd_list(args: argparse.Namespace) -> int:
    catalog = Catalog.load(catalog_extra(args.catalog_extra))
    frame = entries_frame(catalog.filter(args.provider, args.channel, args.category))
    emit(args, frame if args.format != "table" else frame.select(TABLE_COLUMNS))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    frame = entries_frame(Catalog.load(catalog_extra(args.catalog_extra)).entries)
    sections = {
        dim: frame.group_by(dim).len("entries").sort(["entries", dim], descending=[True, False])
        for dim in ("provider", "channel", "category", "outcome")
    }
    sections = shown(args, sections)
    if args.format == "json":
        print(output.to_json({"entries": frame.height, **sections}))
        return 0
    print(f"{frame.height} entries")
    for dim, table in sections.items():
        print(f"\nby {dim}\n{output.to_table(table)}")
    return 0
