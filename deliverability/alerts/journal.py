"""Deliveries made but not yet in the store's ledger: a file beside the store
(`STORE.alert-journal`, one JSON object a line).

A message that went out must never go again because the store was busy when its delivery
was to be recorded. So each delivery is written here first (flushed to disk), then into
the store; while the store is busy the lines stay, the run planning next counts them as
sent, and the next run that can write the store folds them in and removes the file.
Only an alert run writes it, and alert runs on one store take turns (cli/alert.py's lock).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from deliverability.render.output import jsonable

# The ledger row's fields that are times (kept as ISO text in the file).
TIMES = ("period_start", "sent_at")


def journal_path(db: Path) -> Path:
    return db.with_name(db.name + ".alert-journal")


def append(path: Path, rows: list[dict]) -> None:
    """Add ROWS (ledger rows with sent_at) to the journal, on disk before this returns."""
    with open(path, "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(jsonable(row), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read(path: Path) -> list[dict]:
    """The journal's rows (times as datetimes); [] without a journal. A line cut short
    (a crash while writing it) is left out: its message may not have gone either."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        for name in TIMES:
            if row.get(name):
                row[name] = datetime.fromisoformat(row[name].removesuffix("Z"))
        rows.append(row)
    return rows


def clear(path: Path) -> None:
    path.unlink(missing_ok=True)
