"""`deliverability dashboard`: start Streamlit on the store (loading the samples with --demo).

It listens on 127.0.0.1 unless --address says otherwise; off loopback, or whenever a
password is set, the app asks for a login first (dashboard/auth.py). Streamlit never
prompts on the terminal and the browser loads nothing from outside the machine.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

from deliverability.cli.commands import COMMANDS
from deliverability.cli.common import add_store_options, add_zone_option
from deliverability.demo import load_demo
from deliverability.queries.zones import check_zone
from deliverability.settings import DASHBOARD_APP, db_path, max_upload_bytes

PASSWORD_ENV = "DELIVERABILITY_DASHBOARD_PASSWORD"
# Read by dashboard/auth.py: the CLI decides whether a login is needed, the app enforces it.
REQUIRE_LOGIN_ENV = "DELIVERABILITY_REQUIRE_LOGIN"
LOOPBACK_NAMES = {"localhost", "localhost."}
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - every interface, loopback included
# How long the browser opener waits for the server before giving up silently.
BROWSER_WAIT_SECONDS = 120


def register(sub: argparse._SubParsersAction) -> None:
    dash = sub.add_parser("dashboard", help=COMMANDS["dashboard"].help)
    add_store_options(dash)
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument(
        "--address",
        default="127.0.0.1",
        metavar="ADDR",
        help="listen on ADDR (default 127.0.0.1); any address that is not loopback needs a "
        f"login: {PASSWORD_ENV}, dashboard_password or [auth] in .streamlit/secrets.toml",
    )
    dash.add_argument(
        "--demo",
        action="store_true",
        help="load the bundled sample logs first if the store is empty",
    )
    dash.add_argument("--headless", action="store_true", help="do not open a browser")
    add_zone_option(dash)
    dash.set_defaults(handler=cmd_dashboard)


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost; anything else, names
    included, counts as reachable from other machines."""
    if address.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def secrets_files() -> list[Path]:
    """The secrets.toml files Streamlit reads for this app, in its order (later wins)."""
    return [
        Path.home() / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
        DASHBOARD_APP.parent / ".streamlit" / "secrets.toml",
    ]


def read_secrets() -> dict:
    merged: dict = {}
    for path in secrets_files():
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from exc
    return merged


def login_configured() -> tuple[bool, bool]:
    """(a password is set, OIDC is configured): what the app's login gate can check against."""
    secrets = read_secrets()
    password = bool(os.environ.get(PASSWORD_ENV)) or bool(secrets.get("dashboard_password"))
    auth = secrets.get("auth")
    # The two settings st.login needs whatever the provider; the rest it checks itself.
    oidc = isinstance(auth, dict) and {"redirect_uri", "cookie_secret"} <= auth.keys()
    return password, oidc


def login_required(address: str) -> bool:
    """Whether the app must ask for a login; ValueError when it must and cannot."""
    password, oidc = login_configured()
    if not password and not is_loopback(address):
        if not oidc:
            raise ValueError(
                f"--address {address} needs a login: set {PASSWORD_ENV} "
                "or configure [auth] in .streamlit/secrets.toml"
            )
        if find_spec("authlib") is None:
            # st.login would only fail once a user clicks it; say so before starting.
            raise ValueError(
                f"--address {address}: [auth] in .streamlit/secrets.toml needs Authlib "
                "(pip install 'Authlib>=1.3.2') or set " + PASSWORD_ENV
            )
    # A password set anywhere is asked for, on loopback too: whoever set it expects that.
    return password or not is_loopback(address)


def url_host(address: str) -> str:
    """How a browser on this machine reaches ADDRESS."""
    if address in WILDCARDS:
        return "127.0.0.1"
    return f"[{address}]" if ":" in address else address


# Run in its own process, detached: wait for the server's health check, then open the
# browser once. It forks so that the process the CLI waits for exits at once and the one
# left waiting is adopted by init (Streamlit, which the CLI becomes, never reaps it).
_OPENER = """
import os, sys, time, urllib.request, webbrowser
if hasattr(os, "fork") and os.fork():
    os._exit(0)
health, url, deadline = sys.argv[1], sys.argv[2], time.monotonic() + float(sys.argv[3])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
while time.monotonic() < deadline:
    try:
        with opener.open(health, timeout=2) as response:
            if response.status == 200:
                webbrowser.open(url)
                break
    except OSError:
        time.sleep(0.3)
"""


def wants_browser(args: argparse.Namespace) -> bool:
    if args.headless or os.environ.get("CI"):
        return False
    # Streamlit's own rule: a Linux box without a display has no browser to open.
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def open_browser_when_ready(url: str) -> None:
    # Without TERM webbrowser picks no console browser (lynx would fight the terminal).
    env = {k: v for k, v in os.environ.items() if k != "TERM"}
    helper = subprocess.Popen(
        [sys.executable, "-c", _OPENER, f"{url}/_stcore/health", url, str(BROWSER_WAIT_SECONDS)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    if hasattr(os, "fork"):
        helper.wait()  # it has forked its waiting half off: this returns at once


def cmd_dashboard(args: argparse.Namespace) -> int:
    address = args.address.strip().strip("[]")  # Streamlit wants ::1, not [::1]
    require_login = login_required(address)
    path = db_path(args.db).resolve()
    if args.demo and not args.lake:
        load_demo(path, catalog_extra=args.catalog_extra)
    env = {**os.environ, "DELIVERABILITY_DB": str(path)}
    if require_login:
        env[REQUIRE_LOGIN_ENV] = "1"
    if args.catalog_extra:
        env["DELIVERABILITY_CATALOG_EXTRA"] = str(args.catalog_extra)
    if args.display_tz:
        env["DELIVERABILITY_DISPLAY_TZ"] = check_zone(args.display_tz)
    if args.lake:
        from deliverability.lake.read import check_lake

        # The server reads the lake (dashboard/state.py); spark only for message-level pages.
        check_lake(args.lake)
        local = "://" not in args.lake
        env["DELIVERABILITY_LAKE"] = str(Path(args.lake).resolve()) if local else args.lake
        env["DELIVERABILITY_ENGINE"] = args.engine
        for name, value in (("MASTER", args.spark_master), ("REMOTE", args.spark_remote)):
            if value:
                env[f"DELIVERABILITY_SPARK_{name}"] = value
    elif args.engine == "spark":
        raise ValueError(
            "--engine spark reads a lake: give --lake PATH (deliverability lake build)"
        )
    cmd = [
        sys.executable,
        "-m",
        # `streamlit run`, with the pages' imports warmed up while the server starts.
        "deliverability.dashboard.serve",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(args.port),
        "--server.address",
        address,
        # Headless always: otherwise Streamlit asks for an e-mail address on a terminal
        # without ~/.streamlit/credentials.toml (and never starts when nobody answers),
        # and offers to install agent skills in the page. The CLI opens the browser itself.
        "--server.headless",
        "true",
        "--server.showEmailPrompt",
        "false",
        "--browser.gatherUsageStats",
        "false",
        # Its banner looks up the machine's external IP on checkip.amazonaws.com when
        # listening on every interface; the line below says where the dashboard is.
        "--logger.hideWelcomeMessage",
        "true",
        # No Deploy button, rerun or clear-cache for whoever opens the page.
        "--client.toolbarMode",
        "viewer",
        # An error the pages do not handle reaches the browser as a generic message; its
        # traceback goes to the server's log only.
        "--client.showErrorDetails",
        "none",
        # The upload page accepts what `ingest` accepts (DELIVERABILITY_MAX_UPLOAD_MB).
        "--server.maxUploadSize",
        str(max(1, max_upload_bytes() // (1024 * 1024))),
        "--server.fileWatcherType",
        "none",
    ]
    url = f"http://{url_host(address)}:{args.port}"
    notes = [f"lake: {args.lake} on {args.engine}" if args.lake else f"store: {path}"]
    if address in WILDCARDS:
        notes.insert(0, f"listening on {address or 'every interface'}")
    if require_login:
        notes.append("login required")
    print(f"dashboard on {url} ({'; '.join(notes)})", file=sys.stderr)
    if wants_browser(args):
        open_browser_when_ready(url)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become Streamlit rather than wait on it, so a signal to this process (Ctrl-C, a
    # supervisor's SIGTERM) reaches the server and no orphan is left behind.
    os.execve(sys.executable, cmd, env)
