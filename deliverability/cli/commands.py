"""Every command, the module that defines it and its one-line help: what
`deliverability --help` lists without importing any command's module (their imports,
DuckDB, polars and SciPy among them, take most of a second), and which one module a
command line needs."""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    module: str  # deliverability.cli.MODULE registers it (with the others it defines)
    help: str


COMMANDS = {
    "catalog": Command("catalog", "look up status codes across providers"),
    "ingest": Command("ingest", "load send logs and delivery reports into the store"),
    "status": Command("report", "what the store holds"),
    "report": Command("report", "counts and rates by any dimensions"),
    "dashboard": Command("dashboard", "start the Streamlit dashboard on the store"),
    "review": Command("review", "the weekly deliverability review as HTML, Markdown or JSON"),
    "note": Command("review", "reviewers' notes on a week, code, carrier or campaign"),
    "spikes": Command(
        "analytics", "codes whose rate jumped above their baseline, and the carriers behind them"
    ),
    "compare": Command(
        "analytics", "period over period: what got worse, where, and is it significant"
    ),
    "alert": Command(
        "alert", "send new spikes to Slack, Teams, a JSON webhook or e-mail, each once"
    ),
    "watch": Command(
        "watch", "ingest log files dropped in a folder as they appear, then run the alert rules"
    ),
    "lake": Command(
        "lake", "build or extend a lake of Parquet tables (for Spark, Trino, DuckDB) from log files"
    ),
}
