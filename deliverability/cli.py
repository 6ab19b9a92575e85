"""The `deliverability` command: the same numbers as the dashboard, in a terminal.

Exit status: 0 ok, 1 a file could not be ingested, 2 usage or store errors,
3 spikes found with --fail-on-spike.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

from deliverability import output
from deliverability.catalog import CATEGORIES, CHANNELS, PROVIDERS, Catalog, CatalogError
from deliverability.settings import catalog_extra, db_path
from deliverability.store import Store, StoreBusy

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def emit(args: argparse.Namespace, frame: pl.DataFrame, as_json: object | None = None) -> None:
    fmt = getattr(args, "format", "table")
    if fmt == "json":
        print(output.to_json(as_json if as_json is not None else frame))
    elif fmt == "csv":
        sys.stdout.write(output.to_csv(frame))
    else:
        print(output.to_table(frame))


def open_store(args: argparse.Namespace) -> Store:
    return Store.open(
        db_path(args.db),
        catalog_extra=catalog_extra(getattr(args, "catalog_extra", None)),
        wait=getattr(args, "wait", 0.0) or 0.0,
    )


# -- catalog ----------------------------------------------------------------------------------

CATALOG_COLUMNS = [
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


def _entries_frame(entries, columns: list[str] | None = None) -> pl.DataFrame:
    from deliverability.catalog import PUBLIC_FIELDS

    rows = [{k: getattr(e, k) for k in PUBLIC_FIELDS} for e in entries]
    frame = (
        pl.DataFrame(rows, schema={k: None for k in PUBLIC_FIELDS})
        if rows
        else pl.DataFrame(schema=dict.fromkeys(PUBLIC_FIELDS, pl.String))
    )
    return frame.select(columns) if columns else frame


@command("catalog lookup")
def cmd_catalog_lookup(args: argparse.Namespace) -> int:
    catalog = Catalog.load(catalog_extra(args.catalog_extra))
    found = catalog.lookup(args.code, args.provider, args.channel)
    if not found:
        where = " ".join(
            f"{k}={v}" for k, v in (("provider", args.provider), ("channel", args.channel)) if v
        )
        print(f"uncatalogued: no entry for code {args.code!r} {where}".rstrip(), file=sys.stderr)
    frame = _entries_frame(found)
    if args.format == "json":
        print(output.to_json(frame))
    else:
        emit(args, frame.select([*CATALOG_COLUMNS[:5], "description", *CATALOG_COLUMNS[5:]]))
    return 0 if found else 1


@command("catalog list")
def cmd_catalog_list(args: argparse.Namespace) -> int:
    catalog = Catalog.load(catalog_extra(args.catalog_extra))
    frame = _entries_frame(catalog.filter(args.provider, args.channel, args.category))
    emit(args, frame if args.format != "table" else frame.select(CATALOG_COLUMNS))
    return 0


@command("catalog stats")
def cmd_catalog_stats(args: argparse.Namespace) -> int:
    frame = _entries_frame(Catalog.load(catalog_extra(args.catalog_extra)).entries)
    sections = {
        dim: frame.group_by(dim).len("entries").sort(["entries", dim], descending=[True, False])
        for dim in ("provider", "channel", "category", "outcome")
    }
    if args.format == "json":
        print(output.to_json({"entries": frame.height, **sections}))
        return 0
    print(f"{frame.height} entries")
    for dim, table in sections.items():
        print(f"\nby {dim}\n{output.to_table(table)}")
    return 0


# -- ingest, status, report -------------------------------------------------------------------


def _parse_map(spec: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise SystemExit(f"--map: expected canonical=source pairs, got {part!r}")
        canonical, source = part.split("=", 1)
        mapping[canonical.strip().lower()] = source.strip()
    return mapping


@command("ingest")
def cmd_ingest(args: argparse.Namespace) -> int:
    from deliverability.ingest import ingest_files, totals
    from deliverability.mappings import load_mapping, save_mapping
    from deliverability.readers.base import ReadOptions
    from deliverability.settings import recipient_salt

    store = open_store(args)
    mapping = _parse_map(args.map)
    if args.mapping:
        if mapping:
            save_mapping(store, args.mapping, mapping)
        else:
            mapping = load_mapping(store, args.mapping)
    opts = ReadOptions(
        kind=args.kind,
        provider=args.provider,
        channel=args.channel,
        timezone=args.timezone,
        format_hint=args.format_hint,
        mapping=mapping,
    )
    salt = None
    if args.hash_recipients:
        salt = recipient_salt()
        if not salt:
            print("--hash-recipients needs DELIVERABILITY_RECIPIENT_SALT set", file=sys.stderr)
            return 2
    # Progress lines are for a person watching a terminal, not for pipes and cron mail.
    quiet = args.format == "json" or not sys.stderr.isatty()
    results = ingest_files(store, [Path(p) for p in args.paths], opts, quiet, salt)
    for r in results:
        for error in r.errors:
            print(error, file=sys.stderr)
    files = [{k: v for k, v in r.as_dict().items() if k != "already_ingested"} for r in results]
    if args.format == "json":
        print(output.to_json({"files": files, "totals": totals(results)}))
    else:
        frame = pl.DataFrame(
            [{k: v for k, v in f.items() if k != "errors"} for f in files],
            schema={
                "path": pl.String,
                "kind": pl.String,
                "provider": pl.String,
                "reader": pl.String,
                "rows_read": pl.Int64,
                "loaded": pl.Int64,
                "duplicates": pl.Int64,
                "rejected": pl.Int64,
            },
        )
        print(output.to_table(frame))
    return 0 if all(r.ok for r in results) else 1


@command("status")
def cmd_status(args: argparse.Namespace) -> int:
    import queries

    store = open_store(args)
    info = queries.status(store.con)
    if args.format == "json":
        print(output.to_json(info))
        return 0
    print(f"store: {store.path}")
    print(f"messages: {info['messages']}  from {info['first_at']} to {info['last_at']}")
    print(f"files ingested: {info['files_ingested']}  rejected rows: {info['rejected_rows']}")
    print(f"\nmessages by provider and channel\n{output.to_table(info['by_provider_channel'])}")
    print(f"\nuncatalogued codes\n{output.to_table(info['uncatalogued_codes'])}")
    return 0


def filters_from(args: argparse.Namespace):
    from queries import Filters

    return Filters.build(
        since=args.since,
        until=args.until,
        provider=getattr(args, "provider", None),
        channel=getattr(args, "channel", None),
        carrier=getattr(args, "carrier", None),
        country=getattr(args, "country", None),
        campaign=getattr(args, "campaign", None),
        category=getattr(args, "category", None),
        code=getattr(args, "code", None),
    )


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    import queries

    by = [d.strip() for d in (args.by or "").split(",") if d.strip()]
    store = open_store(args)
    filters = filters_from(args)
    frame = queries.report(store.con, by, filters)
    total = queries.totals(store.con, filters)
    emit(args, frame, {"totals": total, "rows": frame})
    return 0


def main(argv: list[str] | None = None) -> int:
    import deliverability.cli_more  # noqa: F401 - registers its commands
    import deliverability.cli_review  # noqa: F401 - registers review and note
    import deliverability.cli_spikes  # noqa: F401 - registers spikes and compare
    from deliverability.cli_parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.handler](args)
    except (StoreBusy, CatalogError, ValueError) as exc:
        print(f"deliverability: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


__all__ = ["main", "COMMANDS", "CATEGORIES", "CHANNELS", "PROVIDERS"]
