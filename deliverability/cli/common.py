"""What every command shares: its store options, output format and filters, opening the store,
and printing a frame as a table, JSON or CSV, phone numbers masked unless --reveal."""

from __future__ import annotations

import argparse
import sys
from typing import TypeVar, cast

import duckdb
import polars as pl

from deliverability.connection import READ_WAIT_SECONDS, WRITE_WAIT_SECONDS
from deliverability.queries import Filters
from deliverability.queries.engine import ENGINES, Engine
from deliverability.queries.privacy import scrub
from deliverability.render import output
from deliverability.settings import catalog_extra, db_path, display_zone
from deliverability.store import Store

T = TypeVar("T")
# The table `ingest` and `lake build` print: what became of each file.
FILE_TABLE_SCHEMA = {
    "path": pl.String,
    "kind": pl.String,
    "provider": pl.String,
    "reader": pl.String,
    "rows_read": pl.Int64,
    "loaded": pl.Int64,
    "duplicates": pl.Int64,
    "rejected": pl.Int64,
}
RECEIVED_AT_HELP = (
    "when these files were received (UTC unless it has an offset): the time of events that "
    "carry none of their own (default: each file's modification time)"
)


def add_store_options(parser: argparse.ArgumentParser, lake: bool = True) -> None:
    """--db, --catalog-extra, --wait, and unless LAKE is false --lake, --engine and where
    Spark runs (commands that write take them to refuse them in one line)."""
    parser.add_argument(
        "--db", help="store file (default: $DELIVERABILITY_DB or data/deliverability.duckdb)"
    )
    parser.add_argument("--catalog-extra", help="your own catalog CSV; its entries win")
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="how long to wait while another process writes the store, or (for a write) "
        f"reads it (default {READ_WAIT_SECONDS:g} s to read, {WRITE_WAIT_SECONDS:g} s to write)",
    )
    if lake:
        add_lake_options(parser)


def add_lake_options(parser: argparse.ArgumentParser, reading: bool = True) -> None:
    """--lake, --engine and where Spark runs (README: "The lake")."""
    if reading:
        parser.add_argument(
            "--lake",
            metavar="PATH",
            help="read a lake (deliverability lake build) instead of the store: a folder, or "
            "s3a://, abfss://, gs:// with --engine spark",
        )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="duckdb (default): this machine; spark: message-level questions on Spark "
        "(pip install 'deliverability[spark]' and Java 17)",
    )
    parser.add_argument(
        "--spark-remote", metavar="URL", help="Spark Connect server, e.g. sc://host:15002"
    )
    parser.add_argument(
        "--spark-master",
        metavar="MASTER",
        help="classic pyspark's master (default: spark-submit's, else local[*])",
    )


def add_read_options(
    parser: argparse.ArgumentParser, received_at_help: str = RECEIVED_AT_HELP
) -> None:
    """How `ingest` and `lake build` read their files: --kind, --provider, --channel,
    --timezone, --received-at and --format-hint (read_options makes them ReadOptions)."""
    from deliverability.catalog import CHANNELS, PROVIDERS
    from deliverability.readers import reader_names

    parser.add_argument("--kind", choices=("sends", "events", "auto"), default="auto")
    parser.add_argument("--provider", choices=PROVIDERS, help="fills the provider column")
    parser.add_argument(
        "--channel", choices=[c for c in CHANNELS if c != "*"], help="fills channel"
    )
    parser.add_argument("--timezone", default="UTC", help="zone of naive timestamps (default UTC)")
    parser.add_argument("--received-at", metavar="TIME", help=received_at_help)
    parser.add_argument(
        "--format-hint",
        metavar="READER",
        help=f"read every file as READER, overriding detection: {', '.join(reader_names())}",
    )


def read_options(args: argparse.Namespace):
    """ReadOptions from add_read_options' options; ValueError (one line) for a --timezone
    that is not a time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from deliverability.queries.filters import to_datetime
    from deliverability.readers.base import ReadOptions

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"--timezone {args.timezone!r} is not a time zone (e.g. UTC, America/Chicago)"
        ) from exc
    received_at = to_datetime(args.received_at) if args.received_at else None
    return ReadOptions(
        received_at=received_at,
        received_from="--received-at" if received_at else None,
        kind=args.kind,
        provider=args.provider,
        channel=args.channel,
        timezone=args.timezone,
        format_hint=args.format_hint,
    )


def add_format(
    parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json")
) -> None:
    parser.add_argument("--format", choices=choices, default="table")


def add_reveal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reveal",
        action="store_true",
        help="show phone numbers in full (default: masked to their last four digits, "
        "as the dashboard shows them)",
    )


def shown(args: argparse.Namespace, value: T) -> T:
    """VALUE (a frame, a dict or list of them, text) as a command prints it: phone numbers
    masked to their last four digits unless --reveal. A command without --reveal masks."""
    return value if getattr(args, "reveal", False) else cast(T, scrub(value))


def add_filters(parser: argparse.ArgumentParser, full: bool = True) -> None:
    parser.add_argument(
        "--since",
        help="date or timestamp, inclusive (message send time; in --display-tz, UTC by default)",
    )
    parser.add_argument("--until", help="date or timestamp, exclusive")
    add_zone_option(parser)
    parser.add_argument("--provider", help="provider id(s), comma-separated")
    parser.add_argument("--channel", help="channel id(s), comma-separated")
    if full:
        parser.add_argument("--carrier", help="carrier name(s), comma-separated")
        parser.add_argument("--country", help="ISO country code(s), comma-separated")
        parser.add_argument("--campaign", help="campaign(s), comma-separated")
        parser.add_argument("--category", help="failure category(ies), comma-separated")
        parser.add_argument("--code", help="status code(s), comma-separated")


def add_zone_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--display-tz",
        metavar="ZONE",
        help="IANA time zone (Europe/Berlin) days, weeks and shown times are in; dates given "
        "to --since/--until are read in it (default $DELIVERABILITY_DISPLAY_TZ, else UTC)",
    )


def filters_from(args: argparse.Namespace) -> Filters:
    """The global filters of ARGS; ValueError when --since is not before --until."""
    filters = Filters.build(
        since=args.since,
        until=args.until,
        zone=display_zone(getattr(args, "display_tz", None)),
        provider=getattr(args, "provider", None),
        channel=getattr(args, "channel", None),
        carrier=getattr(args, "carrier", None),
        country=getattr(args, "country", None),
        campaign=getattr(args, "campaign", None),
        category=getattr(args, "category", None),
        code=getattr(args, "code", None),
    )
    if filters.since and filters.until and filters.since >= filters.until:
        raise ValueError(f"--since {filters.since} is not before --until {filters.until}")
    return filters


def dimensions(spec: str | None) -> list[str]:
    """--by's comma-separated dimensions."""
    return [d.strip() for d in (spec or "").split(",") if d.strip()]


def open_store(args: argparse.Namespace) -> Store:
    """The store of --db, to write; ValueError (one line) for a path that is a folder, not a
    DuckDB file, or a damaged one. Close it when written: readers wait meanwhile."""
    if getattr(args, "lake", None) or getattr(args, "engine", "duckdb") == "spark":
        raise ValueError("this command writes the store (--db): a lake grows by `lake build`")
    path = db_path(args.db)
    wait = WRITE_WAIT_SECONDS if getattr(args, "wait", None) is None else args.wait
    try:
        return Store.open(path, catalog_extra=catalog_extra(args.catalog_extra), wait=wait)
    except duckdb.Error as exc:
        raise ValueError(f"cannot open the store {path}: {str(exc).splitlines()[0]}") from exc


def open_reader(args: argparse.Namespace) -> duckdb.DuckDBPyConnection | Engine:
    """The store of --db, read-only (a dashboard and other readers go on meanwhile); with
    --lake, the lake on --engine (queries take either). Close it when answered."""
    if getattr(args, "lake", None):
        return open_lake(args)
    if getattr(args, "engine", "duckdb") == "spark":
        raise ValueError(
            "--engine spark reads a lake: give --lake PATH (deliverability lake build)"
        )
    path = db_path(args.db)
    wait = READ_WAIT_SECONDS if getattr(args, "wait", None) is None else args.wait
    try:
        return Store.open_reader(path, catalog_extra=catalog_extra(args.catalog_extra), wait=wait)
    except duckdb.Error as exc:
        raise ValueError(f"cannot open the store {path}: {str(exc).splitlines()[0]}") from exc


def spark_for(args: argparse.Namespace):
    """The SparkSession --spark-remote or --spark-master ask for."""
    from deliverability.queries.spark_engine import spark_session

    try:
        return spark_session(remote=args.spark_remote, master=args.spark_master)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from exc


def open_lake(args: argparse.Namespace) -> duckdb.DuckDBPyConnection | Engine:
    """The lake of --lake: DuckDB over its Parquet, or with --engine spark, its small tables
    on DuckDB and message-level questions on Spark (everything on Spark for a lake in
    object storage, which DuckDB here does not read)."""
    from deliverability.lake.read import SMALL, check_lake, duckdb_over_lake, spark_tables
    from deliverability.queries.spark_engine import RoutedEngine, SparkEngine

    check_lake(args.lake)
    local = "://" not in args.lake or args.lake.startswith("file://")
    if args.engine == "duckdb":
        if not local:
            raise ValueError(
                f"--engine duckdb reads a lake on this machine; {args.lake}: use spark"
            )
        return duckdb_over_lake(args.lake)
    session = spark_for(args)
    spark = SparkEngine(session, spark_tables(session, args.lake), owns_session=True)
    return RoutedEngine(duckdb_over_lake(args.lake, SMALL), spark) if local else spark


def emit(
    args: argparse.Namespace,
    frame: pl.DataFrame,
    as_json: object | None = None,
    max_width: int | None = 60,
) -> None:
    """FRAME in --format: a table, JSON (AS_JSON when given) or CSV, phone numbers masked
    unless --reveal."""
    fmt = getattr(args, "format", "table")
    if fmt == "json":
        print(output.to_json(shown(args, as_json if as_json is not None else frame)))
    elif fmt == "csv":
        sys.stdout.write(output.to_csv(shown(args, frame)))
    else:
        print(output.to_table(shown(args, frame), max_width=max_width))


def fail(message: str) -> int:
    """A usage error: one line on stderr, exit status 2."""
    print(f"deliverability: {message}", file=sys.stderr)
    return 2
