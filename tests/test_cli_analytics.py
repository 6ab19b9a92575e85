"""`deliverability spikes` and `compare` through the installed entry point, on the store with
planted spikes that tests/test_spikes.py builds."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from deliverability.queries.spikes import SPIKE_COLUMNS
from tests.conftest import run_cli
from tests.test_spikes import HOUR_PLANTS, T, planted, unexplained  # noqa: F401  (planted: a fixture)

# The planted store takes seconds to build, and each test runs the CLI on it.
pytestmark = pytest.mark.slow


def test_cli_spikes_json_and_exit_code(planted):
    db, extra = planted
    common = ("spikes", "--db", str(db), "--catalog-extra", str(extra))
    proc = run_cli(*common, "--format", "json", "--fail-on-spike", check=False)
    assert proc.returncode == 3, proc.stderr
    document = json.loads(proc.stdout)
    assert list(document) == ["spikes"]
    spikes = document["spikes"]
    found = {(T(s["period_start"]), s["provider"], s["code"]) for s in spikes}
    assert set(HOUR_PLANTS) <= found and not unexplained(found)
    assert [s["p_value"] for s in spikes] == sorted(s["p_value"] for s in spikes)
    for spike in spikes:
        assert list(spike) == list(SPIKE_COLUMNS)
        assert spike["grain"] == "hour"
        datetime.fromisoformat(spike["period_start"])
        for contributor in spike["top_contributors"]:
            assert list(contributor) == ["dimension", "value", "count", "excess"]
    first = next(s for s in spikes if s["code"] == "7101")
    assert first["period_start"] == "2024-01-15T14:00:00"
    assert first["top_contributors"][0]["value"] == "Verizon"

    quiet = run_cli(
        *common,
        "--grain",
        "day",
        "--provider",
        "azure_acs",
        "--since",
        "2024-01-08",
        "--until",
        "2024-01-15",
        "--format",
        "json",
        "--fail-on-spike",
        check=False,
    )
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout) == {"spikes": []}

    table = run_cli(*common, "--min-count", "40", check=False)
    assert table.returncode == 0  # without --fail-on-spike spikes are not a failure
    assert "Verizon" in table.stdout and "7101" in table.stdout


def test_cli_compare(planted):
    db, extra = planted
    proc = run_cli(
        "compare",
        "--db",
        str(db),
        "--catalog-extra",
        str(extra),
        "--by",
        "code",
        "--provider",
        "azure_acs",
        "--since",
        "2024-01-15",
        "--until",
        "2024-01-22",
        "--format",
        "json",
    )
    document = json.loads(proc.stdout)
    assert document["previous"] == {"since": "2024-01-08T00:00:00", "until": "2024-01-15T00:00:00"}
    assert document["rows"][0]["direction"] in ("worse", "same")
    assert {"current", "previous", "delta"} <= set(document["headline"])
