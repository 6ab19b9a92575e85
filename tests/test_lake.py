"""The lake (`deliverability lake build`, DuckDB engine): from the same files, the same
sends, events, messages, rollups, event code days, uncatalogued events, quarantine and
ledger accounting as the store; a later build re-derives only the days its rows touch (late
events included); a file built before adds nothing; report, spikes, review and status read a
lake as they read the store."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from deliverability.ingest import ingest_files
from deliverability.lake.build import build_lake
from deliverability.lake.read import duckdb_over_lake
from deliverability.store import Store
from tests.conftest import cli_json, run_cli, write
from tests.spark_cases import write_logs

# The store's tables the lake holds, with the columns that say what a row is (ingest_id
# too: both number a batch's files in the same order).
COMPARED = ("sends", "events", "messages", "rollup_code_hour", "rollup_dims_day",
            "rollup_latency_day", "event_code_days", "uncatalogued_events",
            "quarantine")  # fmt: skip


def store_from(path: Path, batches: list[list[Path]], extra: Path | None = None) -> Path:
    store = Store.open(path, catalog_extra=extra)
    for batch in batches:
        ingest_files(store, batch)
    store.close()
    return path


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def assert_lake_is_store(lake: Path, store: Path) -> None:
    lake_con = duckdb_over_lake(str(lake))
    store_con = duckdb.connect(str(store), read_only=True)
    for table in COMPARED:
        assert rows(lake_con, table) == rows(store_con, table), table
        described = f"SELECT column_name, column_type FROM (DESCRIBE {table})"
        assert lake_con.execute(described).fetchall() == store_con.execute(described).fetchall()
    ledger = "SELECT ingest_id, file_name, kind, reader, rows_read, loaded, duplicates, rejected "
    ledger += "FROM ingests ORDER BY ingest_id"
    assert lake_con.execute(ledger).fetchall() == store_con.execute(ledger).fetchall()
    lake_con.close()
    store_con.close()


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Path]:
    return write_logs(tmp_path_factory.mktemp("logs"), files=2)


@pytest.mark.slow
def test_a_lake_holds_what_the_store_holds(tmp_path, logs):
    result = build_lake(logs, str(tmp_path / "lake"))
    store = store_from(tmp_path / "store.duckdb", [logs])
    assert_lake_is_store(tmp_path / "lake", store)
    for file in result.files:
        assert file.rows_read == file.loaded + file.duplicates + file.rejected
    assert sum(f.rejected for f in result.files) == 1
    assert sum(f.duplicates for f in result.files) == 1
    partitions = sorted(p.name for p in (tmp_path / "lake" / "messages").iterdir())
    assert partitions[0] == "utc_date=2026-10-01" and len(partitions) == 30


def _day_files(lake: Path, table: str) -> dict[str, set[tuple[str, int]]]:
    """Each day partition's files, by name and when they were written."""
    folder = lake / table
    return {
        p.name: {(f.name, f.stat().st_mtime_ns) for f in p.glob("*.parquet")}
        for p in folder.iterdir()
    }


@pytest.mark.slow
def test_a_later_build_rederives_only_the_days_it_touches(tmp_path):
    """Late events for messages of 20 October arrive in a second build, with a day of new
    sends: only those days of messages and rollups are written again, and the lake still
    equals a store that ingested the same two batches."""
    logs = write_logs(tmp_path / "logs")
    sends, events = logs
    lines = events.read_text().splitlines()
    late = [line for line in lines[1:] if line.startswith(("tie1,", "late1,", "rcpt1,"))]
    first = write(tmp_path / "b1" / "events.csv", "\n".join([lines[0], *[
        line for line in lines[1:] if line not in late]]) + "\n")  # fmt: skip
    second = write(tmp_path / "b2" / "late.csv", "\n".join([lines[0], *late]) + "\n")
    lake = tmp_path / "lake"
    build_lake([sends, first], str(lake))
    rewritten = ("messages", "rollup_dims_day", "rollup_code_hour", "rollup_latency_day")
    before = {t: _day_files(lake, t) for t in rewritten}
    result = build_lake([second], str(lake))
    for table, days in before.items():
        after = _day_files(lake, table)
        assert {day for day in after if after[day] != days.get(day)} == {"utc_date=2026-10-20"}
    assert result.days_rewritten == 1
    store = store_from(tmp_path / "store.duckdb", [[sends, first], [second]])
    assert_lake_is_store(lake, store)


@pytest.mark.slow
def test_a_lake_built_by_other_rules_is_derived_afresh(tmp_path, logs):
    """A lake built by a release that derived otherwise (here: the one before the latency
    rollup, whose digest was of the catalog and carrier table alone) is derived whole again
    by its next build, even with no new file, and then holds what the store holds."""
    lake = tmp_path / "lake"
    build_lake(logs, str(lake))
    shutil.rmtree(lake / "rollup_latency_day")
    store = Store.open(tmp_path / "catalog.duckdb")
    earlier = hashlib.sha256()
    for table in ("codes", "carriers"):
        earlier.update(repr(store.con.execute(f"FROM {table} ORDER BY ALL").fetchall()).encode())
    store.close()
    (meta,) = (lake / "meta").glob("*.parquet")
    pl.read_parquet(meta).with_columns(
        pl.when(pl.col("key") == "catalog_digest")
        .then(pl.lit(earlier.hexdigest()))
        .otherwise(pl.col("value"))
        .alias("value")
    ).write_parquet(meta)
    again = build_lake(logs, str(lake))
    assert again.messages_derived > 0 and all(f.loaded == 0 for f in again.files)
    assert_lake_is_store(lake, store_from(tmp_path / "store.duckdb", [logs]))


def test_a_file_built_before_adds_nothing(tmp_path, logs):
    lake = tmp_path / "lake"
    build_lake(logs, str(lake))
    before = {p.relative_to(lake) for p in lake.rglob("*.parquet")}
    again = build_lake(logs, str(lake))
    assert all(f.already_ingested for f in again.files)
    assert all(f.duplicates == f.rows_read - f.rejected for f in again.files)
    assert {p.relative_to(lake) for p in lake.rglob("*.parquet")} == before


@pytest.mark.slow
def test_a_catalog_change_rederives_every_message(tmp_path, logs):
    """As the store does when its catalog changes: 39999 is catalogued now."""
    lake = tmp_path / "lake"
    build_lake(logs, str(lake))
    extra = write(
        tmp_path / "extra.csv",
        "provider,channel,code,variant,name,description,outcome,category,final,retryable\n"
        "twilio,*,39999,0,Test failure,Our own,failed,unknown_error,true,false\n",
    )
    build_lake([], str(lake), catalog_extra=extra)
    store = store_from(tmp_path / "store.duckdb", [logs], extra=extra)
    assert_lake_is_store(lake, store)
    con = duckdb_over_lake(str(lake))
    assert (
        con.execute(
            "SELECT count(*) FROM messages WHERE code = '39999' AND outcome = 'failed'"
        ).fetchone()[0]
        == 3
    )


@pytest.mark.slow
def test_commands_read_a_lake_as_they_read_the_store(tmp_path, logs):
    lake, db = tmp_path / "lake", tmp_path / "store.duckdb"
    built = cli_json("lake", "build", *map(str, logs), "--lake", str(lake))
    assert built["totals"] == {"rows_read": 5449, "loaded": 5447, "duplicates": 1, "rejected": 1}
    store_from(db, [logs])
    for command in (["report", "--by", "carrier,week"], ["spikes", "--grain", "day"], ["status"]):
        on_lake = cli_json(*command, "--lake", str(lake))
        on_store = cli_json(*command, "--db", str(db))
        if command == ["status"]:
            on_lake.pop("store", None), on_store.pop("store", None)
        assert on_lake == on_store, command
    for source in (["--lake", str(lake)], ["--db", str(db)]):
        run_cli("review", "--week", "2026-W44", "--out", str(tmp_path / f"{source[0][2:]}.json"),
                *source)  # fmt: skip
    assert json.loads((tmp_path / "lake.json").read_text()) == json.loads(
        (tmp_path / "db.json").read_text()
    )


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    missing = tmp_path / "nowhere.csv"
    proc = run_cli("lake", "build", str(missing), "--lake", str(tmp_path / "lake"), check=False)
    assert proc.returncode == 1
    assert [line for line in proc.stderr.splitlines() if "nowhere.csv" in line] == [
        f"{missing}: cannot read: No such file or directory"
    ]
    assert "Traceback" not in proc.stderr
    proc = run_cli("report", "--lake", str(tmp_path / "no_lake"), check=False)
    assert proc.returncode == 2 and "no lake there" in proc.stderr
    proc = run_cli("report", "--engine", "spark", check=False)
    assert proc.returncode == 2 and "--lake" in proc.stderr


@pytest.mark.slow
def test_the_dashboard_reads_a_lake(tmp_path, logs, monkeypatch):
    """Every page renders on a lake (`dashboard --lake`), the Overview's tiles are the
    store's, and nothing opens or creates a store meanwhile."""
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP, PAGES, page

    lake, db = tmp_path / "lake", tmp_path / "store.duckdb"
    build_lake(logs, str(lake))
    store_from(db, [logs])
    tiles = {}
    for source in ("lake", "store"):
        if source == "lake":
            monkeypatch.setenv("DELIVERABILITY_LAKE", str(lake))
            monkeypatch.setenv("DELIVERABILITY_DB", str(tmp_path / "never.duckdb"))
            at = AppTest.from_file(APP, default_timeout=60)
            for path in PAGES:
                page(at, path)
        else:
            monkeypatch.delenv("DELIVERABILITY_LAKE")
            monkeypatch.setenv("DELIVERABILITY_DB", str(db))
        at = page(AppTest.from_file(APP, default_timeout=60), "views/overview.py")
        tiles[source] = [(m.label, m.value) for m in at.metric]
    assert tiles["lake"] == tiles["store"] and tiles["lake"]
    assert not (tmp_path / "never.duckdb").exists()


@pytest.mark.slow
def test_the_native_formats_build_the_same_lake(tmp_path):
    """The sample logs (every native format the readers know) make the same lake as store."""
    from deliverability.demo import sample_files

    files = sample_files()
    result = build_lake(files, str(tmp_path / "lake"))
    assert not [f.errors for f in result.files if f.errors]
    assert_lake_is_store(tmp_path / "lake", store_from(tmp_path / "store.duckdb", [files]))


class Stopped(Exception):
    """A build stopped midway (as by a kill, or a lost connection) before a write."""


class Stopper:
    """Stops the builds on ENGINE (a lake class) before their STEP-th write: our own write
    path, interrupted where a kill could interrupt it. WRITES lists the tables written."""

    def __init__(self, engine, monkeypatch) -> None:
        self.engine, self.real, self.monkeypatch = engine, engine.write, monkeypatch
        self.writes: list[str] = []

    def stop_at(self, step: int | None) -> None:
        real, writes = self.real, self.writes

        def write(lake, view, table, replace_days=None):
            writes.append(table)
            if len(writes) == step:
                raise Stopped(table)
            return real(lake, view, table, replace_days)

        writes.clear()
        self.monkeypatch.setattr(self.engine, "write", write)


def two_batches(folder: Path) -> tuple[list[Path], list[Path]]:
    """A first batch, and a second with new sends and events, late events for the first
    batch's messages, a rejected row and uncatalogued codes (the edge cases of the Spark
    cases, with a few of their volume rows: a build takes a second)."""
    logs = write_logs(folder, files=2)
    for log in logs:
        header, *lines = log.read_text().splitlines()
        volume = [line for line in lines if line.startswith("SM")]
        kept = [line for line in lines if not line.startswith("SM")] + volume[:60]
        log.write_text("\n".join([header, *kept]) + "\n")
    sends_0, sends_1, events_0, events_1 = logs
    bad = write(folder / "bad.csv", "message_id,provider,channel,event_at,status\n"
                "bad9,twilio,sms,not-a-time,delivered\n")  # fmt: skip
    return [sends_0, events_0], [sends_1, events_1, bad]


def lake_tables(lake: Path) -> dict[str, list[tuple]]:
    """Every table of the lake, its rows sorted (the ledger without its build times)."""
    from deliverability.lake.read import TABLES

    con = duckdb_over_lake(str(lake))
    tables = {t: rows(con, t) for t in TABLES if t != "ingests"}
    tables["ingests"] = con.execute(
        "SELECT * EXCLUDE (started_at, finished_at) FROM ingests ORDER BY ALL"
    ).fetchall()
    con.close()
    return tables


@pytest.mark.slow
def test_a_build_stopped_at_any_write_and_run_again_leaves_every_table_right(tmp_path, monkeypatch):
    """The second batch is stopped before each of its writes in turn, then run again: the
    ledger, event code days and every other table are as one uninterrupted build leaves
    them. Once also stopped again while it takes the stopped build's rows back."""
    import shutil

    from deliverability.lake.engines import DuckDBLake

    first, second = two_batches(tmp_path / "logs")
    base, reference = tmp_path / "base", tmp_path / "reference"
    build_lake(first, str(base))
    shutil.copytree(base, reference)
    stopper = Stopper(DuckDBLake, monkeypatch)
    stopper.stop_at(None)
    done = build_lake(second, str(reference))
    assert sum(f.rejected for f in done.files) >= 1 and done.days_rewritten > 1
    steps = list(stopper.writes)
    assert {"sends", "events", "quarantine", "event_code_days", "ingests"} <= set(steps)
    expected = lake_tables(reference)
    assert expected["uncatalogued_events"] and expected["event_code_days"]

    for step in range(1, len(steps) + 1):
        lake = tmp_path / f"stopped-{step}"
        shutil.copytree(base, lake)
        stopper.stop_at(step)
        with pytest.raises(Stopped):
            build_lake(second, str(lake))
        if step == len(steps) // 2:
            stopper.stop_at(2)  # the second write of the run again: taking the stopped rows back
            with pytest.raises(Stopped):
                build_lake(second, str(lake))
        stopper.stop_at(None)
        again = build_lake(second, str(lake))
        assert [f.as_dict() for f in again.files] == [f.as_dict() for f in done.files]
        assert lake_tables(lake) == expected, f"stopped before write {step} ({steps[step - 1]})"


@pytest.mark.parametrize(
    "command",
    [
        ("lake", "build", "sends.csv", "--lake"),
        ("report", "--by", "code", "--engine", "spark", "--lake"),
        ("status", "--lake"),
    ],
)
def test_a_lake_url_with_a_secret_is_refused_without_showing_it(tmp_path, command):
    """As lake build's INPUT is: the secret would end up in shell history, logs and every
    report that names the lake. Refused before anything is read, built or started."""
    proc = run_cli(*command, "s3a://AKIAEXAMPLE:very-secret-key@acme-bucket/lake", check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "credentials in the URL are refused" in proc.stderr
    assert "very-secret-key" not in proc.stderr + proc.stdout and "acme-bucket/lake" in proc.stderr
