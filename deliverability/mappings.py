"""Saved --map column mappings, stored in the store so the dashboard's form can reuse them."""

from __future__ import annotations

import json

from deliverability.store import Store


def save_mapping(store: Store, name: str, mapping: dict[str, str]) -> None:
    with store.write_lock:
        store.con.execute(
            "INSERT OR REPLACE INTO mappings VALUES (?, ?, now()::TIMESTAMP)",
            [name, json.dumps(mapping, sort_keys=True)],
        )


def load_mapping(store: Store, name: str) -> dict[str, str]:
    row = store.con.execute("SELECT spec FROM mappings WHERE name = ?", [name]).fetchone()
    if row is None:
        known = [r[0] for r in store.con.execute("SELECT name FROM mappings ORDER BY 1").fetchall()]
        raise ValueError(f"no saved mapping {name!r} (saved: {', '.join(known) or 'none'})")
    return json.loads(row[0])


def mapping_names(store: Store) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT name FROM mappings ORDER BY 1").fetchall()]
