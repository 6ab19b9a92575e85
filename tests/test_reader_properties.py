"""Property tests over the native JSON readers: documented payloads with any field mangled
(wrong types, nulls, nesting, missing keys) never crash an ingest, and every record read is
loaded, a duplicate or rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliverability.ingest import ingest_file
from deliverability.readers.base import ReadOptions
from deliverability.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
# (fixture, reader) pairs whose documented example is one JSON record or a list of them.
JSON_READERS = [
    ("azure_event_grid.json", "azure_event_grid"),
    ("chirp_failed.json", "chirp_webhook"),
    ("sinch_recipient_report.json", "sinch_sms"),
    ("telnyx_finalized.json", "telnyx_webhook"),
    ("webex_webhook.json", "webex_webhook"),
]

JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["2000", "30007", "2024-03-04T10:00:00Z", "+14155552671", "", "null"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def first_record(name: str) -> dict:
    value = json.loads((FIXTURES / name).read_text())
    return value[0] if isinstance(value, list) else value


def paths(value, prefix=()):
    """Every key path inside VALUE (dicts and lists)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from paths(child, (*prefix, index))


def mangled(record: dict, path: tuple, value, delete: bool) -> dict:
    copy = json.loads(json.dumps(record))
    target = copy
    for step in path[:-1]:
        target = target[step]
    if delete and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return copy


@pytest.mark.slow
@pytest.mark.parametrize(("fixture", "reader"), JSON_READERS)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mangled_payloads_are_accounted_for(tmp_path_factory, fixture, reader, data):
    record = first_record(fixture)
    every_path = list(paths(record))
    records = []
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(every_path))
        value = data.draw(JSON_VALUE)
        records.append(mangled(record, path, value, data.draw(st.booleans())))
    lines = [json.dumps(r) for r in records]
    if data.draw(st.booleans()):
        lines.insert(
            data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(["{", "[1,", "nope"]))
        )
    directory = tmp_path_factory.mktemp("mangled")
    path = directory / "payloads.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = Store.open(directory / "s.duckdb")
    try:
        result = ingest_file(store, path, ReadOptions(format_hint=reader))
        assert result.rows_read == result.loaded + result.duplicates + result.rejected
        if result.errors:
            assert len(result.errors) == 1 and str(path) in result.errors[0]
            assert "\n" not in result.errors[0]
            assert store.con.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        else:
            assert result.rows_read >= len(lines) - 1
    finally:
        store.close()
