"""`deliverability report`: a code row's rates are out of its provider and channel in the
selection (as the dashboard shows them), its share of all messages beside them, send-to-final
latency percentiles, rows in time order by time, and percentages in tables only."""

from __future__ import annotations

import pytest

from tests.conftest import cli_json, run_cli, write

# Ten Twilio messages, one Sinch: 7 delivered, 2 failed on 30007, 1 without a report (all
# Twilio), the Sinch one delivered. Each final report comes i+1 seconds after its send
# (message i), so the latencies are known.
SENDS = (
    "message_id,provider,channel,sent_at,carrier\n"
    + "".join(f"t{i},twilio,sms,2026-11-{2 + i // 5:02d}T10:00:00Z,AT&T\n" for i in range(10))
    + "s0,sinch,sms,2026-11-02T10:00:00Z,Vodafone\n"
)
EVENTS = (
    "message_id,provider,channel,event_at,status_code\n"
    + "".join(
        f"t{i},twilio,sms,2026-11-{2 + i // 5:02d}T10:00:{i + 1:02d}Z,"
        f"{'30007' if i in (3, 8) else 'delivered'}\n"
        for i in range(9)
    )
    + "s0,sinch,sms,2026-11-02T10:00:30Z,0\n"
)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "r.duckdb"
    for name, text in (("sends.csv", SENDS), ("events.csv", EVENTS)):
        run_cli("ingest", str(write(tmp_path / name, text)), "--db", str(path))
    return str(path)


def test_a_code_row_is_out_of_its_provider_and_channel(db):
    out = cli_json("report", "--db", db, "--by", "code", "--format", "json")
    rows = {(r["provider"], r["code"]): r for r in out["rows"]}
    code = rows[("twilio", "30007")]
    assert (code["messages"], code["failed"]) == (2, 2)
    assert code["failure_rate"] == pytest.approx(2 / 10)  # of Twilio's 10, not 2 of 2
    assert code["share_of_messages"] == pytest.approx(2 / 11)
    delivered = rows[("twilio", "delivered")]
    assert delivered["delivery_rate"] == pytest.approx(7 / 10)
    assert rows[("sinch", "0")]["delivery_rate"] == 1.0
    assert sum(r["share_of_messages"] for r in out["rows"]) == pytest.approx(1.0)


def test_latency_percentiles_over_messages_with_a_send_and_a_final_report(db):
    out = cli_json("report", "--db", db, "--by", "provider", "--format", "json")
    twilio = next(r for r in out["rows"] if r["provider"] == "twilio")
    # Messages 0..8 end 1..9 s after their send; message 9 has no report.
    assert twilio["latency_p50_s"] == pytest.approx(5.0)
    assert twilio["latency_p90_s"] == pytest.approx(8.2)
    assert twilio["latency_p99_s"] == pytest.approx(8.92)
    sinch = next(r for r in out["rows"] if r["provider"] == "sinch")
    assert sinch["latency_p50_s"] == pytest.approx(30.0)
    assert out["totals"]["latency_p50_s"] == pytest.approx(5.5)


def test_time_rows_are_in_time_order(db):
    out = cli_json("report", "--db", db, "--by", "day", "--format", "json")
    assert [r["day"][:10] for r in out["rows"]] == ["2026-11-02", "2026-11-03"]
    # By messages the 3rd (5 messages) would come before the 2nd (6): time wins.
    assert [r["messages"] for r in out["rows"]] == [6, 5]


def test_tables_print_percentages_json_keeps_fractions(db):
    table = run_cli("report", "--db", db, "--by", "provider").stdout
    twilio = next(line for line in table.splitlines() if line.startswith("twilio"))
    assert "70.00%" in twilio and "20.00%" in twilio and "90.91%" in twilio
    out = cli_json("report", "--db", db, "--by", "provider", "--format", "json")
    assert next(r for r in out["rows"] if r["provider"] == "twilio")["failure_rate"] == 0.2
