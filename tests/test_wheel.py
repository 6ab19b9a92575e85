"""The package as a user installs it: built into a wheel, installed into a fresh environment
outside the checkout, and run from another directory. Nothing of the checkout is on the path,
so a file the wheel forgot to ship (SQL, catalog, sample logs, dashboard pages) fails here."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_json

pytestmark = pytest.mark.slow

# The checkout's own files; what a clean clone has.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "data", "test-artifacts", "*.egg-info", "__pycache__", "*.duckdb*"
)


def _run(args: list[str], cwd: Path, env: dict, timeout: float = 300) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{' '.join(map(str, args))}: {proc.returncode}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A fresh environment with the wheel installed; its dependencies come from this one."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DELIVERABILITY_DB")}
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", base / "dist", source],
        cwd=base, env=env,
    )  # fmt: skip
    wheel = next((base / "dist").glob("deliverability-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base, env=env)
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel],
        cwd=base, env=env,
    )  # fmt: skip
    # Dependencies (duckdb, polars, streamlit, ...) from this environment, appended after the
    # fresh site-packages: a plain path in a .pth runs none of that directory's .pth files,
    # so the checkout's editable install stays out.
    fresh_site = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=base, env=env).strip()
    )  # fmt: skip
    (fresh_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "cwd": elsewhere, "env": env}


def test_the_wheel_ships_code_sql_catalog_and_samples_under_one_package(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"deliverability", "deliverability-0.1.0.dist-info"}
    for shipped in (
        "deliverability/sql/schema.sql",
        "deliverability/sql/macros.sql",
        "deliverability/queries/sql/message_cube.sql",
        "deliverability/catalog_files/twilio.csv",
        "deliverability/catalog_files/sources/azure_acs.txt",
        "deliverability/catalog_files/carriers/carriers.csv",
        "deliverability/sample_logs/twilio_sends.csv",
        "deliverability/dashboard/app.py",
        "deliverability/dashboard/views/overview.py",
    ):
        assert shipped in names


def test_installed_package_runs_outside_the_checkout(installed):
    out = _run(
        [installed["python"], "-c",
         "import deliverability, importlib.util as u; print(deliverability.__file__); "
         "print(u.find_spec('queries'), u.find_spec('dashboard'))"],
        cwd=installed["cwd"], env=installed["env"],
    )  # fmt: skip
    where, specs = out.splitlines()
    assert Path(where).is_relative_to(installed["venv"])
    assert specs == "None None"


def test_catalog_lookup_ingest_and_report_from_the_wheel(installed, tmp_path):
    cli = installed["venv"] / "bin" / "deliverability"
    run = {"cwd": installed["cwd"], "env": installed["env"]}
    found = json.loads(_run([cli, "catalog", "lookup", "2000", "--format", "json"], **run))
    names = {(e["provider"], e["name"]) for e in found}
    assert ("azure_acs", "Message Delivered Successfully.") in names
    assert {"azure_acs", "sfmc", "sinch"} <= {provider for provider, _ in names}

    logs = [ROOT / "sample_logs" / n for n in ("twilio_sends.csv", "twilio_status_callbacks.txt")]
    for log in logs:
        shutil.copy(log, tmp_path / log.name)
    copies = [tmp_path / log.name for log in logs]
    db = tmp_path / "wheel.duckdb"
    ingested = json.loads(_run([cli, "ingest", *copies, "--db", db, "--format", "json"], **run))
    report = json.loads(
        _run([cli, "report", "--by", "provider", "--db", db, "--format", "json"], **run)
    )

    # The same files through the checkout give the same numbers.
    reference = tmp_path / "checkout.duckdb"
    expected = cli_json("ingest", *map(str, copies), "--db", str(reference))
    assert ingested["totals"] == expected["totals"]
    assert ingested["totals"] == {"rows_read": 4989, "loaded": 4989, "duplicates": 0, "rejected": 0}
    assert report == cli_json("report", "--by", "provider", "--db", str(reference))
    assert (report["totals"]["messages"], report["totals"]["failed"]) == (2132, 168)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_from_the_wheel_answers_its_health_check_and_renders(installed, tmp_path):
    cli = installed["venv"] / "bin" / "deliverability"
    port = _free_port()
    db = tmp_path / "demo.duckdb"
    server = subprocess.Popen(
        [str(cli), "dashboard", "--demo", "--db", str(db), "--headless", "--port", str(port)],
        cwd=installed["cwd"],
        env=installed["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, health = time.monotonic() + 240, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/_stcore/health"
                with urllib.request.urlopen(url, timeout=2) as response:
                    health = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert health == "ok", server.stderr.read() if server.poll() is not None else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Every page's script, as installed, runs against the demo store the server loaded.
    script = (
        "import sys; from streamlit.testing.v1 import AppTest; "
        "import deliverability.settings as s; "
        "at = AppTest.from_file(str(s.DASHBOARD_APP), default_timeout=120).run(); "
        "assert not at.exception, at.exception; "
        "pages = ['views/failures.py', 'views/spikes.py', 'views/messages.py', "
        "'views/catalog.py', 'views/review.py', 'views/upload.py']; "
        "[at.switch_page(p).run() for p in pages if not at.exception]; "
        "assert not at.exception, at.exception; print(at.title[0].value)"
    )
    env = {**installed["env"], "DELIVERABILITY_DB": str(db)}
    assert _run([installed["python"], "-c", script], cwd=installed["cwd"], env=env).strip()
