"""Who can reach the dashboard: where `deliverability dashboard` listens, when it refuses to
start, the login in front of the pages, and that it never waits at a terminal prompt.

The servers are the real CLI (which becomes Streamlit); the login runs through AppTest.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import pty
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from deliverability.cli.dashboard import is_loopback
from deliverability.store import Store
from tests import dashboard_store
from tests.dashboard_store import expected

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
CLI = Path(sys.executable).parent / "deliverability"
PASSWORD_ENV = "DELIVERABILITY_DASHBOARD_PASSWORD"
REQUIRE_LOGIN_ENV = "DELIVERABILITY_REQUIRE_LOGIN"
REFUSAL = (
    "deliverability: --address {} needs a login: set DELIVERABILITY_DASHBOARD_PASSWORD "
    "or configure [auth] in .streamlit/secrets.toml\n"
)
START_TIMEOUT = 90
# Ask the server directly, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ioctl_ipv4_addresses() -> set[str]:
    """Every interface's IPv4 address (Linux: SIOCGIFADDR), routed or not."""
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue  # no IPv4 address on this interface
            found.add(socket.inet_ntoa(packed[20:24]))
    return found


def non_loopback_ipv4() -> str | None:
    """An IPv4 address of this machine that is not loopback, or None."""
    candidates: set[str] = set()
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # UDP: sends nothing, only picks the outgoing address
        candidates.add(s.getsockname()[0])
    with contextlib.suppress(OSError):
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        candidates |= {info[4][0] for info in infos}
    with contextlib.suppress(OSError, AttributeError):
        candidates |= _ioctl_ipv4_addresses()
    for address in sorted(candidates):
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            return address
    return None


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment with no login, no display and an empty home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (PASSWORD_ENV, REQUIRE_LOGIN_ENV, "DISPLAY", "WAYLAND_DISPLAY", "CI")
        and not k.startswith("STREAMLIT_")
    }
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "HOME": str(home), **extra}


def healthy(base: str) -> bool:
    try:
        with _DIRECT.open(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(proc: subprocess.Popen, base: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        if healthy(base):
            return
        time.sleep(0.3)
    stop(proc)
    output = log.read_text() if log and log.exists() else ""
    pytest.fail(f"no health check answer at {base} (exit {proc.returncode}):\n{output}")


def stop(proc: subprocess.Popen) -> None:
    # The CLI became Streamlit (exec), so this stops the server itself.
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except ConnectionRefusedError:
        return False


@pytest.fixture
def fresh_store(tmp_path) -> Path:
    path = tmp_path / "fresh.duckdb"
    Store.open(path).close()
    return path


@contextlib.contextmanager
def dashboard(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    """`deliverability dashboard ARGS --headless` on a free port; yields (process, port, log)."""
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(CLI), "dashboard", *args, "--port", str(port), "--headless"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=env or clean_env(tmp_path / "home"),
        )
        try:
            wait_healthy(proc, f"http://127.0.0.1:{port}", log)
            yield proc, port, log
        finally:
            stop(proc)


# --- where it listens ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("::ffff:10.0.0.1", False),
        ("dashboard.example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_what_counts_as_loopback(address, loopback):
    assert is_loopback(address) is loopback


@pytest.mark.slow
def test_by_default_it_listens_on_loopback_only(tmp_path, fresh_store):
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no IPv4 address besides loopback")
    with dashboard(tmp_path, "--db", str(fresh_store)) as (proc, port, log):
        assert healthy(f"http://127.0.0.1:{port}")
        assert not connects(address, port), f"the dashboard answers on {address}:{port}"
        first_line = log.read_text().splitlines()[0]
        assert first_line == f"dashboard on http://127.0.0.1:{port} (store: {fresh_store})"
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        if cmdline.exists():
            # What the CLI handed to Streamlit (the process is Streamlit now).
            args = cmdline.read_bytes().decode().split("\0")
            given = {option: args[args.index(option) + 1] for option in args if option[:2] == "--"}
            assert given["--server.address"] == "127.0.0.1"
            assert given["--client.toolbarMode"] == "viewer"
            assert given["--server.headless"] == "true"
            assert given["--browser.gatherUsageStats"] == "false"


@pytest.mark.slow
def test_address_with_a_password_in_secrets_listens_there_and_asks_for_a_login(
    tmp_path, fresh_store
):
    # The control for the test above: the same check connects when the CLI is told to listen
    # everywhere, here with the password in the project's .streamlit/secrets.toml.
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no IPv4 address besides loopback")
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('dashboard_password = "from the secrets file"\n')
    with dashboard(tmp_path, "--db", str(fresh_store), "--address", "0.0.0.0") as (_, port, log):
        assert connects(address, port)
        assert healthy(f"http://{address}:{port}")
        first_line = log.read_text().splitlines()[0]
        assert first_line.endswith("; login required)"), first_line
        assert "from the secrets file" not in log.read_text()


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.0.2.10", "dashboard.example.com"])
def test_an_outside_address_without_a_login_is_refused(tmp_path, address):
    db = tmp_path / "never.duckdb"
    proc = subprocess.run(
        [str(CLI), "dashboard", "--db", str(db), "--address", address, "--demo"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(tmp_path / "home"),
        timeout=120,
    )
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, REFUSAL.format(address), "")
    assert not db.exists()  # refused before --demo loads anything


def test_an_auth_section_without_its_settings_is_no_login(tmp_path):
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nclient_id = "x"\n')  # no redirect_uri, no cookie_secret
    proc = subprocess.run(
        [str(CLI), "dashboard", "--db", str(tmp_path / "x.duckdb"), "--address", "0.0.0.0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(tmp_path / "home"),
        timeout=120,
    )
    assert (proc.returncode, proc.stderr) == (2, REFUSAL.format("0.0.0.0"))


@pytest.mark.skipif(find_spec("authlib") is not None, reason="Authlib is installed")
def test_oidc_without_authlib_is_refused_before_starting(tmp_path):
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://localhost:8501/oauth2callback"\n'
        'cookie_secret = "x"\nclient_id = "x"\nclient_secret = "x"\n'
        'server_metadata_url = "https://id.example.com/.well-known/openid-configuration"\n'
    )
    proc = subprocess.run(
        [str(CLI), "dashboard", "--db", str(tmp_path / "x.duckdb"), "--address", "0.0.0.0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(tmp_path / "home"),
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("deliverability: --address 0.0.0.0: [auth]")
    assert "Authlib" in proc.stderr and len(proc.stderr.splitlines()) == 1


# --- no prompt ---------------------------------------------------------------------------


BROWSER_RECORDER = """#!{python}
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
url = sys.argv[1]
with opener.open(url + "/_stcore/health", timeout=5) as response:
    answered = response.status
with open({record!r}, "a") as out:
    out.write(f"{{url}} {{answered}}\\n")
"""


@pytest.mark.slow
def test_it_never_waits_at_a_prompt_and_opens_the_browser_once_up(tmp_path, fresh_store):
    """The README's command (no --headless) on a terminal, with no
    ~/.streamlit/credentials.toml: Streamlit's first-run e-mail prompt would wait forever.
    The browser ($BROWSER, here a script that notes what it was given) opens once the server
    answers."""
    home, record = tmp_path / "home", tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(BROWSER_RECORDER.format(python=sys.executable, record=str(record)))
    browser.chmod(0o755)
    port = free_port()
    master, replica = pty.openpty()
    proc = subprocess.Popen(
        [str(CLI), "dashboard", "--db", str(fresh_store), "--port", str(port)],
        stdin=replica,
        stdout=replica,
        stderr=replica,
        cwd=tmp_path,
        # A display, so that the CLI means to open a browser.
        env=clean_env(home, DISPLAY=":0", BROWSER=f"{browser} %s"),
    )
    os.close(replica)
    output = bytearray()

    def drain() -> None:  # a full terminal buffer would block the server's writes
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 4096):
                output.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert os.isatty(master)
        wait_healthy(proc, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop(proc)
        reader.join(timeout=5)
        os.close(master)
    text = output.decode(errors="replace")
    assert "Email" not in text and "Welcome to Streamlit" not in text, text
    assert f"dashboard on http://127.0.0.1:{port}" in text, text
    assert not (home / ".streamlit" / "credentials.toml").exists()
    assert record.exists(), "the browser was not opened"
    assert record.read_text() == f"http://127.0.0.1:{port} 200\n"


# --- the login (AppTest) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def known_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("access")
    return dashboard_store.build(tmp / "known.duckdb", tmp / "logs")


@pytest.fixture
def login_env(known_store, monkeypatch):
    monkeypatch.setenv("DELIVERABILITY_DB", str(known_store))
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.delenv(REQUIRE_LOGIN_ENV, raising=False)
    return monkeypatch


def shown_text(at: AppTest) -> str:
    kinds = ("title", "markdown", "caption", "info", "success", "error", "warning", "subheader")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def assert_only_the_login(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Deliverability"]
    assert len(at.text_input) == 1 and at.text_input[0].label == "Password"
    assert at.text_input[0].proto.type == at.text_input[0].proto.PASSWORD
    assert [b.label for b in at.button] == ["Log in"]
    # Nothing of the pages: no tiles, tables, charts, filters or navigation widgets.
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert not at.sidebar.children
    assert not at.multiselect and not at.date_input and not at.toggle


def log_in(at: AppTest, password: str) -> AppTest:
    at.text_input[0].input(password)
    at.button[0].click()
    return at.run()


def test_a_password_in_the_environment_gates_every_page(login_env):
    login_env.setenv(PASSWORD_ENV, "correct horse battery")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert_only_the_login(at)

    at = log_in(at, "correct horse")  # a prefix of the right one
    assert_only_the_login(at)
    assert [e.value for e in at.error] == ["Wrong password."]
    assert at.text_input[0].value == ""  # not kept in the session
    assert "correct horse" not in shown_text(at)

    # Another page, same session: still the login.
    at.switch_page("views/messages.py").run()
    assert_only_the_login(at)

    # The page asked for is the page shown once the login succeeds.
    at = log_in(at, "correct horse battery")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error and "Password" not in [t.label for t in at.text_input]
    assert [t.value for t in at.title] == ["Messages"]
    at.switch_page("views/overview.py").run()
    assert [t.value for t in at.title] == ["Overview"]
    assert metric_value(at, "Messages") == f"{expected()['messages']:,}"
    assert "correct horse battery" not in shown_text(at)


def metric_value(at: AppTest, label: str) -> str | None:
    return next((m.value for m in at.metric if m.label == label), None)


def test_the_right_password_opens_the_overview(login_env):
    login_env.setenv(PASSWORD_ENV, "s3cret é ü")  # not ASCII: compared as UTF-8 bytes
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert_only_the_login(at)
    at = log_in(at, "s3cret é ü")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    assert metric_value(at, "Messages") == f"{expected()['messages']:,}"
    assert not at.error
    # The session stays logged in: the next run goes straight to the page.
    at.run()
    assert [t.value for t in at.title] == ["Overview"]


def test_a_password_from_secrets_when_the_cli_requires_a_login(login_env):
    login_env.setenv(REQUIRE_LOGIN_ENV, "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["dashboard_password"] = "from secrets"
    at.run()
    assert_only_the_login(at)
    at = log_in(at, "wrong")
    assert [e.value for e in at.error] == ["Wrong password."]
    at = log_in(at, "from secrets")
    assert [t.value for t in at.title] == ["Overview"]


def test_a_required_login_with_nothing_configured_shows_nothing(login_env):
    login_env.setenv(REQUIRE_LOGIN_ENV, "1")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "none is configured" in at.error[0].value
    assert not at.text_input and not at.metric and not at.sidebar.children


def test_oidc_offers_streamlits_login(login_env):
    login_env.setenv(REQUIRE_LOGIN_ENV, "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "not used here",
        "client_id": "x",
        "client_secret": "x",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.text_input and not at.metric and not at.sidebar.children
