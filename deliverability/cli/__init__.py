"""The `deliverability` command: the same numbers as the dashboard, in a terminal.

One module per command group, each holding its parsers and their handlers (register adds
them); common.py opens the store, reads filters and prints. Exit status: 0 ok, 1 a file
could not be ingested (or a code is not in the catalog), 2 usage or store errors, 3 spikes
found with --fail-on-spike, 4 an alert could not be delivered to a destination (`alert`,
`watch`: what went is recorded, a rerun sends the rest), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from deliverability.cli.commands import COMMANDS


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for COMMAND: only its own module is imported. Without one (or an unknown
    one), every command is listed by its help line and none is imported; None for all."""
    parser = argparse.ArgumentParser(
        prog="deliverability",
        description="Deliverability analytics for SMS/MMS delivery reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command in COMMANDS:
        import_module(f"deliverability.cli.{COMMANDS[command].module}").register(sub)
    else:
        for name, spec in COMMANDS.items():
            sub.add_parser(name, help=spec.help, add_help=False)
    return parser


def full_parser() -> argparse.ArgumentParser:
    """Every command with all its options (imports every command's module)."""
    parser = argparse.ArgumentParser(prog="deliverability")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in dict.fromkeys(spec.module for spec in COMMANDS.values()):
        import_module(f"deliverability.cli.{module}").register(sub)
    return parser


def _command(argv: list[str]) -> str | None:
    """The command ARGV names: its first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    # Imported once a command runs, not for --help: they bring DuckDB (the command's module
    # has imported it by now anyway).
    from deliverability.carriers import CarrierTableError
    from deliverability.catalog import CatalogError
    from deliverability.connection import StoreBusy

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
    except Exception as exc:
        # Nothing reaches a user as a traceback: Spark's errors (a query failing on the
        # cluster, a Connect server gone mid-run) and anything unforeseen are one line.
        # DELIVERABILITY_DEBUG=1 shows the traceback, for a bug report.
        if os.environ.get("DELIVERABILITY_DEBUG"):
            raise
        print(f"deliverability: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    """EXC in one line, saying where it came from when it is Spark's."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    modules = {klass.__module__.split(".")[0] for klass in type(exc).__mro__}
    if modules & {"pyspark", "py4j", "grpc"}:
        # py4j says "An error occurred while calling o58.parquet." first; the JVM's own
        # exception, on the line after, is what tells a user something.
        java = next((line.lstrip(": ") for line in lines if line.startswith(": ")), None)
        return f"Spark failed: {(java or text or type(exc).__name__)[:400]}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
