"""`deliverability spikes` and `deliverability compare`: the analytics layer in a terminal.

spikes exits 3 with --fail-on-spike when any spike is found (for cron and CI alerts).
"""

from __future__ import annotations

import argparse
import sys

import polars as pl

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
from deliverability.queries.compare import (
    COMPARE_DIMENSIONS,
    METRICS,
    compare_periods,
    headline,
    previous_period,
)
from deliverability.queries.filters import to_datetime
from deliverability.queries.spikes import SPIKE_COLUMNS, SpikeSettings, find_spikes
from deliverability.render import output

# The spike columns a terminal table shows (top_contributors is shortened to one line).
SPIKE_TABLE = tuple(
    c for c in SPIKE_COLUMNS if c not in ("grain", "category", "p_value", "top_contributors")
)


def register(sub: argparse._SubParsersAction) -> None:
    defaults = SpikeSettings()
    spikes = sub.add_parser(
        "spikes",
        help=COMMANDS["spikes"].help,
        description="Test every (provider, channel, code) and time bucket in the window "
        "against its trailing baseline; print the spikes, most significant first.",
    )
    add_store_options(spikes)
    spikes.add_argument("--grain", choices=("hour", "day"), default=defaults.grain)
    add_filters(spikes)
    spikes.add_argument(
        "--min-count",
        type=int,
        default=defaults.min_count,
        help=f"fewest messages on the code in a bucket to alert (default {defaults.min_count})",
    )
    spikes.add_argument(
        "--min-ratio",
        type=float,
        default=defaults.min_ratio,
        help=f"rate / baseline rate floor (default {defaults.min_ratio})",
    )
    spikes.add_argument(
        "--fdr",
        type=float,
        default=defaults.fdr,
        help=f"Benjamini-Hochberg false discovery rate (default {defaults.fdr})",
    )
    spikes.add_argument(
        "--baseline-days",
        type=int,
        default=defaults.baseline_days,
        help=f"trailing baseline window in days (default {defaults.baseline_days})",
    )
    add_format(spikes)
    add_reveal_option(spikes)
    spikes.add_argument(
        "--fail-on-spike", action="store_true", help="exit with status 3 when any spike is found"
    )
    spikes.set_defaults(handler=cmd_spikes)

    compare = sub.add_parser(
        "compare",
        help=COMMANDS["compare"].help,
        description="Compare [--since, --until) with the previous period (by default the "
        "same length right before it), by any dimensions, with a two-proportion z-test.",
    )
    add_store_options(compare)
    compare.add_argument("--by", help=f"DIM[,DIM...]: {', '.join(COMPARE_DIMENSIONS)}")
    add_filters(compare)
    compare.add_argument("--previous-since", help="start of the previous period (inclusive)")
    compare.add_argument("--previous-until", help="end of the previous period (exclusive)")
    compare.add_argument("--metric", choices=tuple(METRICS), default="failure_rate")
    compare.add_argument("--min-messages", type=int, default=0)
    add_format(compare, ("table", "json", "csv"))
    add_reveal_option(compare)
    compare.set_defaults(handler=cmd_compare)


def contributors_text(limit: int = 3) -> pl.Expr:
    """top_contributors as one line: 'carrier=Verizon +30, country=US +27'."""
    return (
        pl.col("top_contributors")
        .list.head(limit)
        .list.eval(
            pl.concat_str(
                [
                    pl.element().struct.field("dimension"),
                    pl.lit("="),
                    pl.element().struct.field("value").fill_null("(none)"),
                    pl.lit(" +"),
                    pl.element().struct.field("excess").round(0).cast(pl.Int64).cast(pl.String),
                ]
            )
        )
        .list.join(", ")
        .alias("top_contributors")
    )


def cmd_spikes(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    settings = SpikeSettings(
        grain=args.grain,
        min_count=args.min_count,
        min_ratio=args.min_ratio,
        fdr=args.fdr,
        baseline_days=args.baseline_days,
    )
    con = open_reader(args)
    # A contributor may be a sender that is a phone number.
    frame = shown(args, find_spikes(con, filters, settings))
    con.close()
    if args.format == "json":
        print(output.to_json({"spikes": frame}))
    elif frame.is_empty():
        print(f"no spikes ({args.grain} grain)")
    else:
        print(output.to_table(frame.select(*SPIKE_TABLE, contributors_text())))
    if frame.height:
        print(f"{frame.height} spike(s) at {args.grain} grain", file=sys.stderr)
    return 3 if args.fail_on_spike and frame.height else 0


def cmd_compare(args: argparse.Namespace) -> int:
    current = filters_from(args)
    if args.previous_since or args.previous_until:
        previous = current.with_(
            since=to_datetime(args.previous_since, current.zone),
            until=to_datetime(args.previous_until, current.zone),
        )
    else:
        previous = previous_period(current)
    con = open_reader(args)
    frame = compare_periods(
        con,
        dimensions(args.by),
        current,
        previous,
        metric=args.metric,
        min_messages=args.min_messages,
    )
    if args.format == "json":
        head = headline(con, current, previous)
        document = {
            "current": {"since": current.since, "until": current.until},
            "previous": {"since": previous.since, "until": previous.until},
            "metric": args.metric,
            "headline": {k: head[k] for k in ("current", "previous", "delta")},
            "rows": frame,
        }
        print(output.to_json(shown(args, document)))
    elif args.format == "csv":
        emit(args, frame)
    else:
        print(f"{current.since} .. {current.until}  vs  {previous.since} .. {previous.until}")
        print(output.to_table(shown(args, frame)))
    return 0
