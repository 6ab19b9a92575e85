"""Delivery latency: each message's in milliseconds, to three significant figures above one
second (latency_bucket.sql); its percentiles the same whether the latency rollup or the
messages answer, equal to interpolating over the messages' own latencies, and the rollup
always what counting the messages afresh gives."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from deliverability.derive import rebuild_rollups
from deliverability.queries.filters import Filters
from deliverability.queries.report import LATENCY, latency
from deliverability.queries.runner import prepare
from tests.conftest import ingest, write

START = datetime(2026, 11, 2, 9, 0)
# Latencies in milliseconds, sub-second to over an hour, most not whole seconds.
LATENCIES_MS = [
    250, 999, 1000, 1004, 1005, 1234, 2500, 9996, 12345, 12355, 45678, 98765, 99960,
    123456, 600000, 3723500, 86399999,
]  # fmt: skip


@pytest.mark.parametrize(
    ("ms", "bucket"),
    [
        (0, 0), (250, 250), (999, 999),  # exact below one second
        (1000, 1000), (1004, 1000), (1005, 1010),  # tens of ms: half rounds up
        (12345, 12300), (12355, 12400), (98765, 98800),
        (99960, 100000),  # rounds into the next power of ten
        (123456, 123000), (3723500, 3720000), (86399999, 86400000),
        (1234567890, 1230000000), (98765432109, 98800000000),
    ],
)  # fmt: skip
def test_a_latency_is_rounded_to_three_significant_figures_above_a_second(store, ms, bucket):
    assert store.con.execute("SELECT latency_bucket(?::BIGINT)", [ms]).fetchone()[0] == bucket


def _bucket(ms: int) -> int:
    """The rounding, written again in Python: an independent check of the SQL."""
    if ms < 1000:
        return ms
    step = 10 ** (len(str(ms)) - 3)
    return math.floor(ms / step + 0.5) * step


def _percentile_s(values: list[int], q: str) -> float:
    """quantile_cont's percentile Q of VALUES (ms), in exact fractions, rounded half up to
    the millisecond, in seconds."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * Fraction(q)
    below, above = ordered[math.floor(rank)], ordered[math.ceil(rank)]
    exact = below + (above - below) * (rank - math.floor(rank))
    return math.floor(exact + Fraction(1, 2)) / 1000


def _logs(tmp_path):
    """Two providers over two days; message i of a provider ends LATENCIES_MS[i] after its
    send. Plus one message still pending (interim only) and one without a send: neither
    has a latency."""
    sends = ["message_id,provider,channel,sent_at,carrier"]
    events = ["message_id,provider,channel,event_at,status_code"]
    for p, (provider, delivered) in enumerate((("twilio", "delivered"), ("sinch", "0"))):
        for i, ms in enumerate(LATENCIES_MS):
            sent = START + timedelta(days=i % 2, minutes=i, milliseconds=p)
            final = sent + timedelta(milliseconds=ms)
            sends.append(f"{provider[0]}{i},{provider},sms,{sent:%Y-%m-%dT%H:%M:%S.%f}Z,AT&T")
            events.append(
                f"{provider[0]}{i},{provider},sms,{final:%Y-%m-%dT%H:%M:%S.%f}Z,{delivered}"
            )
    sends.append(f"pending,twilio,sms,{START:%Y-%m-%dT%H:%M:%S}Z,AT&T")
    events.append(f"pending,twilio,sms,{START + timedelta(seconds=3):%Y-%m-%dT%H:%M:%S}Z,queued")
    events.append(f"nosend,twilio,sms,{START:%Y-%m-%dT%H:%M:%S}Z,delivered")
    return (
        write(tmp_path / "sends.csv", "\n".join(sends) + "\n"),
        write(tmp_path / "events.csv", "\n".join(events) + "\n"),
    )


@pytest.fixture
def loaded(store, tmp_path):
    for path in _logs(tmp_path):
        ingest(store, path)
    return store


ROLLUP = Filters()
# The messages answer what filters by carrier (every message sent here is AT&T's), and day
# buckets in another zone than "UTC" (Etc/UTC has the same days).
BY_CARRIER, ZONED = Filters(carrier=("AT&T",)), Filters(zone="Etc/UTC")


@pytest.mark.parametrize(
    ("by", "messages"),
    [
        (["provider"], BY_CARRIER),
        (["code"], BY_CARRIER),
        ([], BY_CARRIER),
        (["provider", "day"], ZONED),
        (["code", "week"], ZONED),
    ],
)
def test_the_rollup_and_the_messages_give_the_same_percentiles(loaded, by, messages):
    carriers = "SELECT DISTINCT carrier FROM messages WHERE has_send"
    assert loaded.con.execute(carriers).fetchall() == [("AT&T",)]
    # Which one answers (rollup_choice.sql's latency_rollup_answers, as the query calls it).
    prepare(loaded.con)
    answers = "SELECT latency_rollup_answers(false, ?::VARCHAR[], [], [], ?, NULL, NULL)"
    for filters, rollup in ((ROLLUP, True), (messages, False)):
        finer = filters.zone != "UTC" and any(t in by for t in ("day", "week"))
        assert loaded.con.execute(answers, [list(filters.carrier), finer]).fetchone()[0] is rollup
    from_rollup = latency(loaded.con, by, ROLLUP)
    from_messages = latency(loaded.con, by, messages)
    assert from_rollup.height > 0
    assert_frame_equal(from_rollup, from_messages, check_row_order=False)


def test_percentiles_interpolate_over_each_message_s_rounded_latency(loaded):
    frame = latency(loaded.con, ["provider"], ROLLUP)
    expected = [_bucket(ms) for ms in LATENCIES_MS]
    for provider in ("twilio", "sinch"):
        row = frame.filter(pl.col("provider") == provider).row(0, named=True)
        for column, q in zip(LATENCY, ("0.5", "0.9", "0.99"), strict=True):
            assert row[column] == _percentile_s(expected, q)
    # Neither the pending message nor the one without a send has a latency.
    counted = loaded.con.execute("SELECT sum(messages) FROM rollup_latency_day").fetchone()[0]
    assert counted == 2 * len(LATENCIES_MS)


def test_the_rollup_is_what_counting_the_messages_afresh_gives(loaded, tmp_path):
    # A later file: the pending message's final report, which gives it a latency.
    later = write(
        tmp_path / "later.csv",
        "message_id,provider,channel,event_at,status_code\n"
        f"pending,twilio,sms,{START + timedelta(seconds=7, milliseconds=5):%Y-%m-%dT%H:%M:%S.%f}Z,"
        "delivered\n",
    )
    ingest(loaded, later)
    kept = loaded.con.execute("SELECT * FROM rollup_latency_day ORDER BY ALL").fetchall()
    assert sum(row[-1] for row in kept) == 2 * len(LATENCIES_MS) + 1
    rebuild_rollups(loaded.con)
    assert loaded.con.execute("SELECT * FROM rollup_latency_day ORDER BY ALL").fetchall() == kept
