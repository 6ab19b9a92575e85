"""`lake build` reads its input from object storage: the sample logs (canonical CSVs, a
gzipped export, the native formats) uploaded to a real S3 API (moto's server, over HTTP,
found through AWS_ENDPOINT_URL as any S3-compatible store is) build the same lake as the same
files on local disk; the ledger names the objects; a second build adds nothing; files that are
plainly not logs are skipped; a missing bucket is one line; credentials in a URL are refused
without being echoed."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from deliverability.demo import SAMPLE_LOGS_DIR
from deliverability.lake.build import build_lake
from deliverability.lake.read import duckdb_over_lake
from tests.conftest import cli_json, run_cli

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
pytest.importorskip("s3fs")  # the [lake] extra

BUCKET = "acme-exports"
PREFIX = "sms/2026-11/"
BARE_CALLBACKS = (
    "MessageSid=SMbare1&MessageStatus=failed&ErrorCode=30007&To=%2B14155550101\n"
    "MessageSid=SMbare2&MessageStatus=delivered&ErrorCode=&To=%2B14155550102\n"
)
# The lake's tables whose rows say nothing of where a file came from.
SAME_ROWS = ("sends", "events", "messages", "rollup_code_hour", "rollup_dims_day",
             "rollup_latency_day", "event_code_days", "uncatalogued_events",
             "quarantine")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A real S3 API on a free port, the sample logs uploaded under PREFIX (their README and
    generator too, which a build skips), and a local copy of each log with its object's
    last-modified time (what a build takes as the receipt time of events without one)."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        local = tmp_path_factory.mktemp("local")
        objects = {p.name: p.read_bytes() for p in SAMPLE_LOGS_DIR.iterdir() if p.is_file()}
        # Status callbacks logged as bare bodies carry no time: the object's is theirs.
        objects["late/callbacks.txt"] = BARE_CALLBACKS.encode()
        for name, body in sorted(objects.items()):
            client.put_object(Bucket=BUCKET, Key=PREFIX + name, Body=body)
            if not name.endswith((".py", ".md")):
                copy = local / name
                copy.parent.mkdir(exist_ok=True)
                copy.write_bytes(body)
                modified = client.head_object(Bucket=BUCKET, Key=PREFIX + name)
                stamp = modified["LastModified"].timestamp()
                os.utime(copy, (stamp, stamp))
        yield local
    server.stop()


def _table(lake: Path, table: str) -> pl.DataFrame:
    con = duckdb_over_lake(str(lake))
    try:
        frame = con.sql(f"SELECT * FROM {table}").pl()
    finally:
        con.close()
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.slow
def test_objects_build_the_lake_their_local_copies_build(s3, tmp_path):
    url = f"s3://{BUCKET}/{PREFIX}"
    from_s3 = cli_json("lake", "build", url, "--lake", str(tmp_path / "s3-lake"))
    from_disk = cli_json("lake", "build", str(s3), "--lake", str(tmp_path / "disk-lake"))

    logs = [p.relative_to(s3).as_posix() for p in sorted(s3.rglob("*.*"))]
    assert [f["path"] for f in from_s3["files"]] == [url + name for name in logs]
    assert not [f["errors"] for f in from_s3["files"] if f["errors"]]
    assert from_s3["totals"] == from_disk["totals"]
    assert from_s3["totals"]["loaded"] > 10_000
    assert sorted(s["path"] for s in from_s3["skipped"]) == [
        url + name for name in ("README.md", "__init__.py", "generate.py")
    ]
    for table in SAME_ROWS:
        s3_rows = _table(tmp_path / "s3-lake", table)
        assert_frame_equal(s3_rows, _table(tmp_path / "disk-lake", table))
    messages = _table(tmp_path / "s3-lake", "messages")
    assert messages.height > 1000 and messages["outcome"].n_unique() > 2

    # The ledger names each object by its URL, with the counts a local build records.
    ledger = _table(tmp_path / "s3-lake", "ingests").sort("ingest_id")
    assert ledger["path"].to_list() == [url + name for name in logs]
    assert ledger["file_name"].to_list() == [name.split("/")[-1] for name in logs]
    counts = ["file_name", "fingerprint", "reader", "kind", "rows_read", "loaded", "duplicates",
              "rejected", "dated_by_receipt"]  # fmt: skip
    assert_frame_equal(ledger[counts], _table(tmp_path / "disk-lake", "ingests").sort(
        "ingest_id")[counts])  # fmt: skip
    # The bare callbacks are dated by their object's last-modified time, as a local file's
    # events are by its modification time.
    assert ledger.filter(pl.col("file_name") == "callbacks.txt")["dated_by_receipt"].to_list() == [
        2
    ]

    # Built again: every object is one the lake holds, and nothing is written.
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "s3-lake").rglob("*.parquet"))
    again = cli_json("lake", "build", url, "--lake", str(tmp_path / "s3-lake"))
    assert again["totals"]["loaded"] == 0
    assert again["totals"]["duplicates"] == from_s3["totals"]["loaded"] + from_s3["totals"][
        "duplicates"]  # fmt: skip
    assert again["messages_derived"] == 0
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "s3-lake").rglob("*.parquet")) == (
        before
    )
    # No local copy of an object outlives its build.
    assert not list((tmp_path / "s3-lake" / "_staging").rglob("*.*"))


@pytest.mark.slow
def test_one_object_a_missing_one_and_one_that_is_not_a_log(s3, tmp_path):
    """Single objects by URL, as files by path: a gzipped export is read as one, a README
    is skipped, a missing object or bucket is one line naming it (exit 1, others built)."""
    base = f"s3://{BUCKET}/{PREFIX}"
    proc = run_cli(
        "lake", "build", base + "twilio_bulk_export.ndjson.gz", base + "README.md",
        base + "missing.csv", f"s3://no-such-bucket-{os.getpid()}/logs/",
        "--lake", str(tmp_path / "lake"), "--format", "json", check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        f"{base}README.md: skipped, not a log file (.md)",
        f"{base}missing.csv: cannot read: no such object",
        f"s3://no-such-bucket-{os.getpid()}/logs/: cannot read: "
        "The specified bucket does not exist",
    ]
    gz, *failed = json.loads(proc.stdout)["files"]
    assert [f["path"] for f in failed] == [
        base + "missing.csv",
        f"s3://no-such-bucket-{os.getpid()}/logs/",
    ]
    local = build_lake([s3 / "twilio_bulk_export.ndjson.gz"], str(tmp_path / "local-lake"))
    assert gz["path"] == base + "twilio_bulk_export.ndjson.gz"
    assert (gz["reader"], gz["rows_read"], gz["loaded"]) == (
        local.files[0].reader,
        local.files[0].rows_read,
        local.files[0].loaded,
    )
    assert gz["loaded"] > 0


def test_credentials_in_a_url_are_refused_unechoed(tmp_path):
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    url = f"s3://AKIAIOSFODNN7EXAMPLE:{secret}@{BUCKET}/{PREFIX}"
    proc = run_cli("lake", "build", url, "--lake", str(tmp_path / "lake"), check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "credentials in the URL" in proc.stderr
    for part in (secret, *secret.split("/")):
        assert part not in proc.stderr + proc.stdout
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize(
    "url",
    [
        "s3://key:secret@bucket/logs/",
        "gs://key:secret@bucket/x.csv",
        "https://user:pass/word@example.com/logs.csv",
        "az://key:secret@container/logs/",
    ],
)
def test_every_url_form_with_a_secret_is_refused(url):
    from deliverability.lake.objects import sources

    with pytest.raises(ValueError, match="credentials in the URL") as refused:
        sources([url])
    assert "secret" not in str(refused.value) and "pass" not in str(refused.value)


def test_urls_without_secrets_are_not_taken_for_them():
    """A port, an Azure container@account, a colon in a key: not credentials."""
    from deliverability.lake.urls import refuse_credentials

    for url in ("https://example.com:8443/logs.csv",
                "abfs://logs@account.dfs.core.windows.net/2026/",
                "s3://bucket/exports/2026-11-02T10:00:00.csv"):  # fmt: skip
        refuse_credentials(url)
