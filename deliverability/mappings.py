"""Saved --map column mappings, stored in the store so the dashboard's form can reuse them."""

from __future__ import annotations

import json

from deliverability.store import Store


def save_mapping(store: Store, name: str, mapping: dict[str, str]) -> None:
    # A cursor per call: the dashboard calls these from many session threads at once.
    with store.write_lock:
        con = store.cursor()
        try:
            con.execute(
                "INSERT OR REPLACE INTO mappings VALUES (?, ?, now()::TIMESTAMP)",
                [name, json.dumps(mapping, sort_keys=True)],
            )
        finally:
            con.close()


def mapping_names(store: Store) -> list[str]:
    con = store.cursor()
    try:
        return [r[0] for r in con.execute("SELECT name FROM mappings ORDER BY 1").fetchall()]
    finally:
        con.close()


def load_mapping(store: Store, name: str) -> dict[str, str]:
    con = store.cursor()
    try:
        row = con.execute("SELECT spec FROM mappings WHERE name = ?", [name]).fetchone()
    finally:
        con.close()
    if row is None:
        known = mapping_names(store)
        raise ValueError(f"no saved mapping {name!r} (saved: {', '.join(known) or 'none'})")
    return json.loads(row[0])
