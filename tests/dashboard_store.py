"""A small store with known numbers for the dashboard tests (AppTest and the browser).

400 Azure SMS messages over two weeks (2026-11-02 .. 2026-11-15), two carriers, three
campaigns, two of them hostile text. Every 10th message fails with 4000, messages 7, 57, …
end on a code no catalog knows (7777), messages 3, 28, … never get a report. The expected
counts are computed here from the same rules, independently of the code under test.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from deliverability.ingest import ingest_file
from deliverability.store import Store

HOSTILE_CAMPAIGN = "<img src=x onerror=alert(1)>"
BOLD_CAMPAIGN = "**bold**"
CAMPAIGNS = ("otp", HOSTILE_CAMPAIGN, BOLD_CAMPAIGN)
CARRIERS = ("Verizon", "T-Mobile")
START = datetime(2026, 11, 2, 9, 0)
N = 400


def message(i: int) -> dict:
    sent = START + timedelta(days=i % 14, minutes=i)
    if i % 25 == 3:
        outcome, code = "no_report", None
    elif i % 50 == 7:
        outcome, code = "unknown", "7777"
    elif i % 10 == 0:
        outcome, code = "failed", "4000"
    else:
        outcome, code = "delivered", "2000"
    return {
        "message_id": f"m{i:04d}",
        "sent_at": sent,
        "recipient": f"+1415555{i:04d}",
        "carrier": CARRIERS[i % 2],
        "campaign": CAMPAIGNS[i % 3],
        "outcome": outcome,
        "code": code,
    }


MESSAGES = [message(i) for i in range(N)]


def expected(carrier: str | None = None) -> dict[str, int]:
    rows = [m for m in MESSAGES if carrier is None or m["carrier"] == carrier]
    counts = {"messages": len(rows)}
    for outcome in ("delivered", "failed", "no_report", "unknown"):
        counts[outcome] = sum(1 for m in rows if m["outcome"] == outcome)
    return counts


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def write_logs(directory: Path, first: int = 0, last: int = N) -> tuple[Path, Path]:
    """Canonical send and delivery logs for messages [first, last)."""
    directory.mkdir(parents=True, exist_ok=True)
    sends = ["message_id,provider,channel,sent_at,sender,recipient,carrier,campaign,segments"]
    events = ["message_id,provider,channel,event_at,status_code,status_text,carrier"]
    for m in MESSAGES[first:last]:
        sends.append(
            ",".join(
                [
                    m["message_id"],
                    "azure_acs",
                    "sms",
                    m["sent_at"].isoformat() + "Z",
                    "+18005550100",
                    m["recipient"],
                    m["carrier"],
                    _csv_field(m["campaign"]),
                    "1",
                ]
            )
        )
        if m["code"]:
            at = (m["sent_at"] + timedelta(seconds=20)).isoformat() + "Z"
            text = _csv_field(f"status {m['code']} {BOLD_CAMPAIGN}")
            events.append(f"{m['message_id']},azure_acs,sms,{at},{m['code']},{text},{m['carrier']}")
    send_path = directory / f"sends_{first}_{last}.csv"
    event_path = directory / f"events_{first}_{last}.csv"
    send_path.write_text("\n".join(sends) + "\n", encoding="utf-8")
    event_path.write_text("\n".join(events) + "\n", encoding="utf-8")
    return send_path, event_path


def build(db: Path, directory: Path, first: int = 0, last: int = N) -> Path:
    store = Store.open(db)
    try:
        for path in write_logs(directory, first, last):
            result = ingest_file(store, path)
            assert result.ok and result.rejected == 0, result.errors
    finally:
        store.close()
    return db
