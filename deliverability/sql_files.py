"""The one loader of the project's .sql files, shipped as package data beside the code.

deliverability/sql/ holds the store's statements (schema, derivation, rollups, writes);
queries/sql/ holds the analytics layer's questions. Both are read through importlib.resources,
so an installed wheel finds them as a checkout does.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

STORE = "deliverability"
QUERIES = "deliverability.queries"


@cache
def sql_text(name: str, package: str = STORE) -> str:
    """The text of PACKAGE's sql/NAME (NAME with its .sql suffix)."""
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")
