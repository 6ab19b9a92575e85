"""Shared fixtures: real DuckDB store files in tmp_path and the real `deliverability` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deliverability.ingest import ingest_file
from deliverability.readers.base import ReadOptions
from deliverability.store import Store

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "deliverability"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def store(db_path: Path):
    opened = Store.open(db_path)
    yield opened
    opened.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ingest(store: Store, path: Path, **options):
    return ingest_file(store, path, ReadOptions(**options))


def as_schema(db_path: Path, version: int, *undo: str) -> None:
    """Make the closed store at DB_PATH one of schema VERSION, as an older release left it:
    UNDO (our statements taking back what later versions added) run, then its meta says
    VERSION. Opening it runs the migrations from there."""
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        for statement in undo:
            con.execute(statement)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    finally:
        con.close()


def run_cli(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed console script, as a user would."""
    proc = subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    if check and proc.returncode not in (0,):
        raise AssertionError(
            f"deliverability {' '.join(args)} exited {proc.returncode}\n{proc.stderr}"
        )
    return proc


def cli_json(*args: str, env: dict | None = None) -> dict | list:
    return json.loads(run_cli(*args, "--format", "json", env=env).stdout)


# -- the store with planted spikes that `deliverability alert` is tested on (alert_store.py)


@pytest.fixture(scope="module")
def alert_store_built(tmp_path_factory) -> tuple[Path, Path, Path]:
    from tests import alert_store

    return alert_store.build(tmp_path_factory.mktemp("alert_store"))


@pytest.fixture
def planted(alert_store_built, tmp_path):
    """A copy of the alert store of this module, for one test."""
    from tests.alert_store import planted_copy

    return planted_copy(alert_store_built, tmp_path)
