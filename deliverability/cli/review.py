"""`deliverability review` and `deliverability note add|list`: the weekly review as a file,
and reviewers' notes kept in the store (they show in every review that covers them)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import (
    add_format,
    add_reveal_option,
    add_store_options,
    fail,
    open_reader,
    open_store,
    shown,
)
from deliverability.notes import SCOPES, code_subject
from deliverability.queries.notes import list_notes
from deliverability.queries.review import Review, weekly_review
from deliverability.render import output
from deliverability.render.review_html import to_html
from deliverability.render.review_json import to_json
from deliverability.render.review_markdown import to_markdown

# --out's suffix picks the renderer.
RENDERERS: dict[str, Callable[[Review], str]] = {
    ".html": to_html,
    ".htm": to_html,
    ".md": to_markdown,
    ".markdown": to_markdown,
    ".json": to_json,
}


def register(sub: argparse._SubParsersAction) -> None:
    review = sub.add_parser(
        "review",
        help=COMMANDS["review"].help,
        description="Write the review of one ISO week: headline vs the previous week and the "
        "4-week baseline, what got worse or better, spikes, new and uncatalogued codes, data "
        "quality and notes. FILE ending in .html gives a self-contained page (opens offline), "
        ".md gives Markdown for chat or email, .json the same review for other tools; without "
        "--out the Markdown is printed. A review is meant to be shared: phone numbers in it "
        "are always masked to their last four digits (there is no --reveal).",
    )
    add_store_options(review)
    review.add_argument(
        "--week", help="ISO week YYYY-Www (default: the last complete week in the store)"
    )
    review.add_argument("--out", metavar="FILE", help="write to FILE (.html, .md or .json)")
    review.add_argument(
        "--spike-grain", choices=("day", "hour"), default="day", help="spike buckets (day)"
    )
    review.set_defaults(handler=cmd_review)

    note = sub.add_parser("note", help=COMMANDS["note"].help)
    note_sub = note.add_subparsers(dest="note_command", metavar="SUBCOMMAND")
    add = note_sub.add_parser(
        "add",
        help="attach a note",
        description="A week note shows in that week's review. A code, carrier or campaign "
        "note shows in every review whose week has messages with that code, carrier or "
        "campaign; with --for-week, only from that week on.",
    )
    add_store_options(add)
    about = add.add_mutually_exclusive_group(required=True)
    about.add_argument("--week", help="the ISO week YYYY-Www the note is about")
    about.add_argument("--code", help="a status code (with --provider / --channel to narrow)")
    about.add_argument("--carrier", help="a carrier name")
    about.add_argument("--campaign", help="a campaign name")
    add.add_argument("--provider", help="the code's provider (default: any)")
    add.add_argument("--channel", help="the code's channel (default: any)")
    add.add_argument("--text", required=True, help="the note")
    add.add_argument("--author", help="who wrote it")
    add.add_argument(
        "--for-week", help="a code/carrier/campaign note applies from this ISO week on"
    )
    add_format(add)
    add_reveal_option(add)
    add.set_defaults(handler=cmd_note_add)

    listing = note_sub.add_parser("list", help="every note, newest first")
    add_store_options(listing)
    listing.add_argument("--scope", choices=SCOPES)
    add_format(listing)
    add_reveal_option(listing)
    listing.set_defaults(handler=cmd_note_list)


def cmd_review(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in RENDERERS:
        return fail("--out must end in .html, .md or .json")
    con = open_reader(args)
    review = weekly_review(con, args.week, spike_grain=args.spike_grain)
    con.close()
    if not review.headline["current"]["messages"]:
        # A review of nothing would read "delivery rate 0.00%": say so instead, write nothing.
        until = (
            f" (the store's data ends {review.data_until:%Y-%m-%d})" if review.data_until else ""
        )
        print(
            f"deliverability: no messages in {review.week}{until}; nothing written", file=sys.stderr
        )
        return 1
    if out is None:
        sys.stdout.write(to_markdown(review))
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(RENDERERS[out.suffix.lower()](review), encoding="utf-8")
    print(f"wrote the {review.week} review to {out}", file=sys.stderr)
    return 0


def cmd_note_add(args: argparse.Namespace) -> int:
    if (args.provider or args.channel) and not args.code:
        return fail("--provider and --channel go with --code")
    if args.week and args.for_week:
        return fail("a week note takes --week only, not --for-week")
    if args.week:
        scope, subject = "week", args.week
    elif args.code:
        scope, subject = "code", code_subject(args.code, args.provider, args.channel)
    elif args.carrier:
        scope, subject = "carrier", args.carrier
    else:
        scope, subject = "campaign", args.campaign
    store = open_store(args)
    note_id = store.add_note(
        scope, subject, args.text, author=args.author, week=args.week or args.for_week
    )
    added = shown(args, list_notes(store.con).filter(pl.col("note_id") == note_id))
    store.close()
    if args.format == "json":
        print(output.to_json({"note": added.to_dicts()[0]}))
    else:
        print(output.to_table(added))
    return 0


def cmd_note_list(args: argparse.Namespace) -> int:
    con = open_reader(args)
    # A note may quote a phone number; the review masks notes too.
    frame = shown(args, list_notes(con, args.scope))
    con.close()
    if args.format == "json":
        print(output.to_json({"notes": frame}))
    else:
        print(output.to_table(frame))
    return 0
