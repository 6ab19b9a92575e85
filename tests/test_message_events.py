"""One message's event history (the Messages page's lower table), on a real DuckDB file.

message_events looks near the message's time first and falls back to every event when that
finds fewer than the message's event_count: both paths must give the whole history."""

from __future__ import annotations

from datetime import datetime

import pytest

from deliverability.queries.filters import Filters
from deliverability.queries.messages import message_events, messages_in_selection
from deliverability.store import Store
from tests.conftest import ingest, write

SENDS = """message_id,provider,channel,sent_at,sender,recipient,country,carrier,campaign,segments
a1,azure_acs,sms,2024-03-04T10:00:00Z,+18005550100,+14155552671,,AT&T,spring,1
a2,azure_acs,sms,2024-03-04T10:05:00Z,+18005550100,+14155552672,,Verizon,spring,1
"""

# a2's late receipt comes nine days after the send: outside the first look's window.
EVENTS = """message_id,provider,channel,event_at,status_code,status_text,carrier
a1,azure_acs,sms,2024-03-04T10:00:09Z,2000,Delivered,
a1,azure_acs,sms,2024-03-04T09:59:59Z,3000,Queued early by the provider clock,
a2,azure_acs,sms,2024-03-04T10:05:07Z,3000,Queued,
a2,azure_acs,sms,2024-03-13T10:05:07Z,4000,Fraud,
b9,azure_acs,sms,2024-03-20T12:00:00Z,2000,Delivered,
"""


@pytest.fixture
def con(tmp_path):
    store = Store.open(tmp_path / "store.duckdb")
    ingest(store, write(tmp_path / "sends.csv", SENDS))
    ingest(store, write(tmp_path / "events.csv", EVENTS))
    yield store.cursor()
    store.close()


def row(con, message_id: str) -> dict:
    frame = messages_in_selection(con, Filters())
    return frame.filter(frame["message_id"] == message_id).row(0, named=True)


def test_history_found_near_the_send(con):
    a1 = row(con, "a1")
    history = message_events(con, "azure_acs", "a1", a1["message_at"], a1["event_count"])
    assert history["code"].to_list() == ["3000", "2000"]
    assert history["event_at"].to_list() == [
        datetime(2024, 3, 4, 9, 59, 59),
        datetime(2024, 3, 4, 10, 0, 9),
    ]
    assert history["outcome"][1] == "delivered"


def test_a_receipt_outside_the_window_is_still_shown(con):
    a2 = row(con, "a2")
    assert a2["event_count"] == 2
    history = message_events(con, "azure_acs", "a2", a2["message_at"], a2["event_count"])
    assert history["code"].to_list() == ["3000", "4000"]
    assert history["event_at"][1] == datetime(2024, 3, 13, 10, 5, 7)


def test_without_the_row_every_event_is_read(con):
    assert message_events(con, "azure_acs", "a2")["code"].to_list() == ["3000", "4000"]
    assert message_events(con, "azure_acs", "b9")["code"].to_list() == ["2000"]
    assert message_events(con, "azure_acs", "nope").is_empty()


def test_a_message_without_reports_has_an_empty_history(tmp_path):
    store = Store.open(tmp_path / "store.duckdb")
    try:
        ingest(store, write(tmp_path / "sends.csv", SENDS))
        con = store.cursor()
        a1 = row(con, "a1")
        assert a1["event_count"] == 0
        history = message_events(con, "azure_acs", "a1", a1["message_at"], a1["event_count"])
        assert history.is_empty()
        assert "code" in history.columns
    finally:
        store.close()
