"""Spark Connect for real: a Connect server started from the pinned pyspark's own jars (on a
free port, once for the module), and the CLI as a user runs it with `--spark-remote
sc://localhost:PORT`. A lake built through Connect holds what a DuckDB build of the same
sample logs holds; report, spikes (with their contributors, a message-level question),
status and the weekly review read it through Connect as DuckDB reads it; a server that is
not there is one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from deliverability.demo import sample_files
from deliverability.lake.read import duckdb_over_lake
from tests.conftest import run_cli
from tests.spark_support import need_connect
from tests.test_lake import COMPARED, rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """sc://localhost:PORT of a Spark Connect server in local mode, as
    sbin/start-connect-server.sh starts one (spark-submit of the server class), in the
    foreground so that the test stops it."""
    need_connect()
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    conf = {
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.driver.memory": "1g",
    }
    command = [str(home / "bin" / "spark-submit"), "--master", "local[2]", "--class",
               SERVER_CLASS, *[a for k, v in conf.items() for a in ("--conf", f"{k}={v}")]]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SPARK_HOME": str(home)},
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _accepts(port):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").splitlines()[-20:]
                pytest.fail("the Spark Connect server did not start:\n" + "\n".join(tail))
            time.sleep(0.5)
        yield f"sc://localhost:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def lakes(tmp_path_factory, remote) -> dict[str, Path]:
    """The sample logs built into a lake twice: through Spark Connect and on DuckDB."""
    tmp = tmp_path_factory.mktemp("lakes")
    logs = [str(p) for p in sample_files()]
    built = {}
    for engine, options in (("connect", ["--engine", "spark", "--spark-remote", remote]),
                            ("duckdb", ["--engine", "duckdb"])):  # fmt: skip
        lake = tmp / engine
        run_cli("lake", "build", *logs, "--lake", str(lake), *options, "--format", "json")
        built[engine] = lake
    return built


def test_a_lake_built_through_spark_connect_holds_what_a_duckdb_build_holds(lakes):
    on_connect, on_duckdb = (duckdb_over_lake(str(lakes[e])) for e in ("connect", "duckdb"))
    assert rows(on_duckdb, "messages"), "the sample logs build a lake with messages"
    for table in COMPARED:
        assert rows(on_connect, table) == rows(on_duckdb, table), table
        described = f"SELECT column_name, column_type FROM (DESCRIBE {table})"
        assert _all(on_connect, described) == _all(on_duckdb, described), table
    ledger = "SELECT ingest_id, file_name, kind, reader, rows_read, loaded, duplicates, "
    ledger += "rejected FROM ingests ORDER BY ingest_id"
    assert _all(on_connect, ledger) == _all(on_duckdb, ledger)
    on_connect.close()
    on_duckdb.close()


def _all(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    return con.execute(query).fetchall()


def _both(lake: Path, remote: str, *command: str) -> tuple[dict, dict]:
    """COMMAND's JSON on LAKE read by DuckDB, and through Spark Connect."""
    read = [*command, "--lake", str(lake), "--format", "json"]
    duck = json.loads(run_cli(*read, "--engine", "duckdb").stdout)
    spark = json.loads(run_cli(*read, "--engine", "spark", "--spark-remote", remote).stdout)
    return duck, spark


@pytest.mark.parametrize(
    "command",
    [
        ("report", "--by", "code,day"),  # counts from the rollups, latencies on Spark
        ("report", "--by", "sender"),  # counts only the messages hold: Spark's
        ("status",),
    ],
    ids=["report-rollups", "report-messages", "status"],
)
def test_commands_read_through_spark_connect_as_on_duckdb(lakes, remote, command):
    duck, spark = _both(lakes["connect"], remote, *command)
    assert spark == duck and duck


def test_spikes_and_their_contributors_through_spark_connect(lakes, remote):
    """Contributors are counted from the messages of the spike's bucket: on Spark."""
    duck, spark = _both(lakes["connect"], remote, "spikes", "--grain", "day")
    assert spark == duck
    assert duck["spikes"] and all(s["top_contributors"] for s in duck["spikes"])


def test_the_review_through_spark_connect(lakes, remote, tmp_path):
    week = ["review", "--week", "2026-W47", "--lake", str(lakes["connect"])]
    run_cli(*week, "--out", str(tmp_path / "duckdb.json"))
    run_cli(*week, "--out", str(tmp_path / "spark.json"), "--engine", "spark",
            "--spark-remote", remote)  # fmt: skip
    on_spark = json.loads((tmp_path / "spark.json").read_text())
    assert on_spark == json.loads((tmp_path / "duckdb.json").read_text())
    assert on_spark["spikes"]


def test_a_connect_server_that_is_not_there_is_one_line(lakes):
    started = time.monotonic()
    proc = run_cli("report", "--lake", str(lakes["duckdb"]), "--engine", "spark",
                   "--spark-remote", f"sc://localhost:{_free_port()}", check=False)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "cannot start Spark (sc://localhost:" in proc.stderr
    assert "Traceback" not in proc.stderr and time.monotonic() - started < 60
