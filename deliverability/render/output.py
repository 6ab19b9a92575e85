"""Render frames and dicts for the terminal and for downloads: table, JSON, CSV.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
get a leading apostrophe, except numbers: E.164 phone numbers such as +14155552671 and
signed decimals such as -0.5 stay as they are because no spreadsheet treats them as formulas.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SAFE_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def csv_safe(value: object) -> object:
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not SAFE_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def jsonable(value: object) -> object:
    if isinstance(value, pl.DataFrame):
        return [jsonable(r) for r in value.to_dicts()]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return _plain(value)


def to_json(value: object) -> str:
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False)


def to_csv(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([csv_safe(_plain(v)) if v is not None else "" for v in row])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.second == 0 else value.isoformat(" ")
    text = str(_plain(value))
    # One line per row, whatever the log put in the value.
    return text.replace("\r", " ").replace("\n", " ")


def is_share(column: str) -> bool:
    """A column holding a fraction of one: printed as a percentage in tables (JSON and CSV
    keep the fraction)."""
    return column.endswith("_rate") or column.startswith("share_") or column.endswith("_share")


def to_table(frame: pl.DataFrame, max_width: int | None = 60) -> str:
    """FRAME as an aligned text table, each cell cut at MAX_WIDTH characters (None: whole)."""
    if frame.is_empty():
        return "(no rows)"
    shares = [is_share(c) and frame.schema[c].is_float() for c in frame.columns]
    cells = [
        [
            (f"{v * 100:.2f}%" if share and v is not None else _cell(v))[:max_width]
            for v, share in zip(row, shares, strict=True)
        ]
        for row in frame.iter_rows()
    ]
    widths = [
        max(len(str(col)), *(len(r[i]) for r in cells)) for i, col in enumerate(frame.columns)
    ]
    numeric = [frame.schema[c].is_numeric() for c in frame.columns]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(list(frame.columns)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)
