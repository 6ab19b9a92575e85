"""Every .sql file says what one row of it is and what it takes, and names exactly the
parameters it binds: a reader can use a file without reading its callers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

SQL_FILES = sorted(
    [*(ROOT / "queries" / "sql").glob("*.sql"), *(ROOT / "deliverability" / "sql").glob("*.sql")]
)
PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


def header_and_code(path: Path) -> tuple[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    head = []
    for line in lines:
        if not line.startswith("--"):
            break
        head.append(line)
    code = "\n".join(line.split("--", 1)[0] for line in lines[len(head) :])
    return "\n".join(head), code


def test_there_are_sql_files():
    assert len(SQL_FILES) > 30


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_header_gives_grain_and_exactly_the_bound_parameters(path):
    head, code = header_and_code(path)
    assert "\n-- Grain: " in head, "no Grain line in the opening comment"
    assert "\n-- Parameters: " in head, "no Parameters line in the opening comment"
    named = set(PARAMETER.findall(head.split("-- Parameters:", 1)[1]))
    assert named == set(PARAMETER.findall(code))
