"""The layers hold (lint-imports with pyproject's contracts), and each contract catches the
break it is there for: the same check on a copy of the package with one bad import added."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import dev
from tests.conftest import ROOT


def _lint(layout: Path) -> str:
    proc = dev.lint_imports(layout, capture_output=True, text=True)
    return ("KEPT " if proc.returncode == 0 else "BROKEN ") + proc.stdout


def test_the_package_keeps_every_contract(tmp_path):
    report = _lint(dev.installed_layout(tmp_path / "layout"))
    assert report.startswith("KEPT"), report
    assert "5 kept, 0 broken" in report


BREAKS = [
    # (module file in the installed layout, line added, contract that must break)
    ("deliverability/queries/report.py", "import deliverability.store", "queries/ reads"),
    ("deliverability/queries/spikes.py", "import deliverability.lake.build", "queries/ reads"),
    ("deliverability/lake/build.py", "import plotly", "Only the dashboard"),
    ("deliverability/queries/cube.py", "import streamlit", "Only the dashboard"),
    ("deliverability/render/output.py", "import plotly", "Only the dashboard"),
    ("deliverability/dashboard/views/overview.py", "import duckdb", "Dashboard pages"),
    ("deliverability/dashboard/views/upload.py", "from deliverability import ingest", "Dashboard pages"),
    ("deliverability/store.py", "from deliverability.queries import runner", "Renderers ->"),
    ("deliverability/cli/common.py", "from deliverability.dashboard import data", "Renderers ->"),
    (
        "deliverability/load_staged.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from deliverability import ingest",
        "No import cycles",
    ),
    (
        "deliverability/queries/spike_cells.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from deliverability.queries import spikes",
        "No import cycles",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("module", "line", "contract"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_contract_catches_its_break(tmp_path, module, line, contract):
    layout = dev.installed_layout(tmp_path / "layout")
    path = layout / module
    text = path.read_text()
    # After the module's docstring and `from __future__` import, where an import may go.
    anchor = re.search(r"^from __future__ import annotations\n", text, re.M)
    at = anchor.end() if anchor else 0
    path.write_text(text[:at] + line + "\n" + text[at:])
    report = _lint(layout)
    assert report.startswith("BROKEN"), f"{module}: {line!r} went unnoticed"
    broken = report.split("Broken contracts", 1)[1]
    assert contract in broken, broken


def test_queries_sql_only_reads():
    writes = re.compile(
        r"\b(INSERT|UPDATE|DELETE|DROP|ALTER|COPY|ATTACH|CREATE\s+(?!OR\s+REPLACE\s+TEMP\s+MACRO))",
        re.I,
    )
    for path in sorted((ROOT / "queries" / "sql").glob("*.sql")):
        code = "\n".join(line.split("--", 1)[0] for line in path.read_text().splitlines())
        assert not writes.search(code), f"{path.name} writes"


def test_every_module_has_a_layer(tmp_path):
    """A module the layers contract does not name escapes every rule: each module of the
    package must sit in a layer (the package's own __init__ and __main__ aside)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    named = {m.strip() for layer in layers for m in re.split(r"[|:]", layer)}
    layout = dev.installed_layout(tmp_path / "layout")
    for path in (layout / "deliverability").rglob("*.py"):
        module = ".".join(path.relative_to(layout).with_suffix("").parts)
        if module in ("deliverability.__init__", "deliverability.__main__"):
            continue
        assert any(module == n or module.startswith(n + ".") for n in named), module
