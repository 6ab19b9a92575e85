"""`deliverability dashboard`: start Streamlit on the store (loading the samples with --demo)."""

from __future__ import annotations

import argparse
import os
import sys

from deliverability.cli.common import add_store_options
from deliverability.demo import load_demo
from deliverability.settings import DASHBOARD_APP, db_path, max_upload_bytes


def register(sub: argparse._SubParsersAction) -> None:
    dash = sub.add_parser("dashboard", help="start the Streamlit dashboard on the store")
    add_store_options(dash)
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument(
        "--demo",
        action="store_true",
        help="load the bundled sample logs first if the store is empty",
    )
    dash.add_argument("--headless", action="store_true", help="do not open a browser")
    dash.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    path = db_path(args.db).resolve()
    if args.demo:
        load_demo(path, catalog_extra=args.catalog_extra)
    env = {**os.environ, "DELIVERABILITY_DB": str(path)}
    if args.catalog_extra:
        env["DELIVERABILITY_CATALOG_EXTRA"] = str(args.catalog_extra)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(args.port),
        "--server.headless",
        "true" if args.headless or os.environ.get("CI") else "false",
        "--browser.gatherUsageStats",
        "false",
        # The upload page accepts what `ingest` accepts (DELIVERABILITY_MAX_UPLOAD_MB).
        "--server.maxUploadSize",
        str(max(1, max_upload_bytes() // (1024 * 1024))),
        "--server.fileWatcherType",
        "none",
    ]
    print(f"dashboard on http://localhost:{args.port} (store: {path})", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become Streamlit rather than wait on it, so a signal to this process (Ctrl-C, a
    # supervisor's SIGTERM) reaches the server and no orphan is left behind.
    os.execve(sys.executable, cmd, env)
