"""Native provider formats: documented examples, tolerance, detection, on real DuckDB stores.

Every file goes through the real ingest (or the installed CLI) into a DuckDB file; the
assertions read the `messages`, `events`, `sends` and `quarantine` tables.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from deliverability.ingest import ingest_file
from deliverability.readers import READERS, choose_reader, reader_names
from deliverability.readers.base import ReadOptions, UnreadableFile, sniff
from deliverability.store import Store
from tests.conftest import cli_json, ingest, run_cli, write

FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"
PUBLISHED = Path(__file__).resolve().parent / "fixtures" / "published"


def message(store: Store, provider: str, message_id: str) -> dict:
    cur = store.con.execute(
        "SELECT * FROM messages WHERE provider = ? AND message_id = ?", [provider, message_id]
    )
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, f"no single message {provider}/{message_id}: {rows}"
    return dict(zip(names, rows[0], strict=True))


def events(store: Store, provider: str, message_id: str | None = None) -> list[tuple]:
    sql = "SELECT message_id, event_at, status_code FROM events WHERE provider = ?"
    params = [provider]
    if message_id:
        sql += " AND message_id = ?"
        params.append(message_id)
    return store.con.execute(sql + " ORDER BY event_at, status_code", params).fetchall()


def quarantine(store: Store) -> list[tuple]:
    return store.con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()


def accounted(result) -> None:
    assert result.ok, result.errors
    assert result.rows_read == result.loaded + result.duplicates + result.rejected


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ------------------------------------------------------------------------------------------
# The documented example of every format, ingested as it is


# (fixture, reader, rows_read, loaded, rejected, provider, message_id, channel, code,
#  final_at (UTC), outcome)
DOCUMENTED = [
    (
        "azure_event_grid.json", "azure_event_grid", 1, 1, 0, "azure_acs",
        "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910", "sms", "2000",
        "2020-09-18 00:22:20.285574", "delivered",
    ),
    (
        "sfmc_tracking.csv", "sfmc_tracking", 1, 1, 0, "sfmc", "884412", "sms", "4503",
        "2024-03-01 16:12:44", "failed",
    ),
    (
        "sinch_recipient_report.json", "sinch_sms", 1, 1, 0, "sinch",
        "01FC66621XXXXX119Z8PMV1QPQ:15551234567", "sms", "0", "2016-10-02 09:34:18.542",
        "delivered",
    ),
    (
        "sinch_mm7.xml", "sinch_mm7", 1, 1, 0, "sinch", "369500617770864640", "mms",
        "retrieved", "2015-03-16 14:03:51.749", "delivered",
    ),
    (
        "webex_webhook.json", "webex_webhook", 1, 1, 0, "webex_connect",
        "262895e4-2217-4eef-92ca-79fd0250c4a3", "sms", "7208", "2016-07-28 11:47:56.459",
        "failed",
    ),
    (
        "telnyx_finalized.json", "telnyx_webhook", 1, 1, 0, "telnyx",
        "40385f64-5717-4562-b3fc-2c963f66afa6", "sms", "40008", "2024-05-01 12:00:05.148",
        "failed",
    ),
    (
        "chirp_failed.json", "chirp_webhook", 1, 1, 0, "chirp", "msg_abc123", "sms",
        "message_undeliverable", "2024-01-15 10:30:00", "failed",
    ),
    (
        "twilio_console.csv", "twilio_console", 3, 2, 1, "twilio",
        "SM00000000000000000000000000000002", "sms", "30007", "2024-03-04 18:01:00", "failed",
    ),
    (
        "twilio_bulk_export.ndjson.gz", "twilio_bulk_export", 2, 2, 0, "twilio",
        "SM10000000000000000000000000000002", "mms", "30003", "2024-03-04 10:05:09", "failed",
    ),
    (
        "twilio_callbacks.txt", "twilio_callbacks", 3, 3, 0, "twilio",
        "SM20000000000000000000000000000002", "sms", "30007", "2024-03-04 10:03:00", "failed",
    ),
    (
        "telnyx_mdr.csv", "telnyx_mdr", 3, 3, 0, "telnyx",
        "b0a2e9c2-0000-4000-8000-000000000002", "sms", "40008", "2024-05-01 12:01:07",
        "failed",
    ),
    (
        "webex_export.csv", "webex_export", 3, 3, 0, "webex_connect",
        "262895e4-2217-4eef-92ca-79fd0250c4a3", "sms", "7208", "2026-10-05 11:30:00", "failed",
    ),
    (
        "azure_monitor.csv", "azure_monitor", 2, 1, 1, "azure_acs",
        "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910", "sms", None, None,
        "no_report",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "reader", "read", "loaded", "rejected", "provider", "mid", "channel", "code",
     "final_at", "outcome"),
    DOCUMENTED,
    ids=[case[1] for case in DOCUMENTED],
)  # fmt: skip
def test_documented_example(
    store, fixture, reader, read, loaded, rejected, provider, mid, channel, code, final_at, outcome
):
    result = ingest_file(store, FORMATS / fixture)
    accounted(result)
    assert result.reader == reader
    assert (result.rows_read, result.loaded, result.rejected) == (read, loaded, rejected)
    assert result.provider == provider
    row = message(store, provider, mid)
    assert row["channel"] == channel
    assert row["code"] == code
    assert row["final_at"] == (ts(final_at) if final_at else None)
    assert row["outcome"] == outcome


def test_every_reader_has_a_documented_fixture():
    covered = {case[1] for case in DOCUMENTED}
    assert covered == set(reader_names()) - {"canonical"}


@pytest.mark.parametrize("case", DOCUMENTED, ids=[case[1] for case in DOCUMENTED])
def test_detection_picks_the_reader_from_content_not_name(tmp_path, case):
    fixture, reader = case[0], case[1]
    # A misleading name and no extension: only the content can tell.
    renamed = tmp_path / ("export.csv" if not fixture.endswith(".csv") else "payload.json")
    renamed.write_bytes((FORMATS / fixture).read_bytes())
    assert choose_reader(sniff(renamed)).NAME == reader


def test_documented_details_of_each_example(store):
    for fixture in (
        "azure_event_grid.json", "sinch_recipient_report.json", "sinch_mm7.xml",
        "telnyx_finalized.json", "chirp_failed.json", "webex_webhook.json",
    ):  # fmt: skip
        accounted(ingest_file(store, FORMATS / fixture))
    azure = message(
        store, "azure_acs", "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910"
    )
    assert (azure["recipient"], azure["campaign"], azure["segments"], azure["country"]) == (
        "+15555555555",
        "Optional customer-tag set in the original message",
        1,
        "US",
    )
    sinch = message(store, "sinch", "01FC66621XXXXX119Z8PMV1QPQ:15551234567")
    # The operator arrives as MCC+MNC (310260): the carrier table names the network.
    assert (sinch["recipient"], sinch["carrier"], sinch["status_text"]) == (
        "+15551234567",
        "T-Mobile",
        "Delivered",
    )
    mm7 = message(store, "sinch", "369500617770864640")
    assert (mm7["recipient"], mm7["sender"], mm7["status_text"]) == (
        "+16175550123",
        "111122",
        "Success",
    )
    telnyx = message(store, "telnyx", "40385f64-5717-4562-b3fc-2c963f66afa6")
    # Telnyx writes "T-MOBILE USA, INC."; the message carries the network's canonical name.
    assert (telnyx["carrier"], telnyx["campaign"], telnyx["sender"], telnyx["status_text"]) == (
        "T-Mobile",
        "spring-promo",
        "+18445550001",
        "Undeliverable",
    )
    chirp = message(store, "chirp", "msg_abc123")
    assert (chirp["upstream_code"], chirp["category"]) == ("40300", "carrier_filtered")
    upstream = store.con.execute(
        "SELECT upstream_provider, upstream_code FROM events WHERE provider = 'chirp'"
    ).fetchall()
    assert upstream == [("telnyx", "40300")]
    webex = message(store, "webex_connect", "262895e4-2217-4eef-92ca-79fd0250c4a3")
    assert (webex["recipient"], webex["country"], webex["status_text"]) == (
        "+910000000001",
        "IN",
        "Message expired",
    )


def test_cli_reports_the_reader_it_used(db_path):
    out = cli_json(
        "ingest", "--db", str(db_path), str(FORMATS / "sinch_mm7.xml"),
        str(FORMATS / "twilio_callbacks.txt"),
    )  # fmt: skip
    readers = [f["reader"] for f in out["files"]]
    assert readers == ["sinch_mm7", "twilio_callbacks"]
    assert out["totals"] == {"rows_read": 4, "loaded": 4, "duplicates": 0, "rejected": 0}


def test_line_formats_read_under_a_small_memory_limit(db_path):
    # DuckDB sizes the line reader's buffer from max_line_size (16x by default): with a 64 MiB
    # line limit that was a 1 GiB block, so any NDJSON file failed under a 1 GB memory limit.
    out = cli_json(
        "ingest", "--db", str(db_path), str(FORMATS / "twilio_bulk_export.ndjson.gz"),
        str(FORMATS / "twilio_callbacks.txt"), str(FORMATS / "telnyx_finalized.json"), str(FORMATS / "webex_webhook.json"),
        env={"DELIVERABILITY_MEMORY_LIMIT": "256MB"},
    )  # fmt: skip
    assert [f["errors"] for f in out["files"]] == [[], [], [], []]
    assert out["totals"]["loaded"] > 0
    assert out["totals"]["rows_read"] == out["totals"]["loaded"]


@pytest.mark.slow
def test_reingest_adds_nothing(store, tmp_path):
    for case in DOCUMENTED:
        accounted(ingest_file(store, FORMATS / case[0]))
    before = store.con.execute("SELECT count(*) FROM events").fetchone()[0]
    for case in DOCUMENTED:
        again = ingest_file(store, FORMATS / case[0])
        assert again.loaded == 0 and again.already_ingested
        # The same records in a file with another fingerprint are duplicates, row by row.
        name = case[0].removesuffix(".gz")
        raw = (FORMATS / case[0]).read_bytes()
        copy = tmp_path / f"copy_{name}"
        copy.write_bytes((gzip.decompress(raw) if case[0].endswith(".gz") else raw) + b"\n")
        result = ingest_file(store, copy)
        accounted(result)
        assert result.loaded == 0, case[0]
        assert result.duplicates == case[3], case[0]
    assert store.con.execute("SELECT count(*) FROM events").fetchone()[0] == before


# ------------------------------------------------------------------------------------------
# Detection and --format-hint


def test_format_hint_overrides_detection(db_path, tmp_path):
    # Both a Twilio bulk-export record and a canonical delivery log row.
    both = write(
        tmp_path / "both.ndjson",
        json.dumps(
            {
                "sid": "SM1", "status": "delivered", "date_sent": "2026-10-05T10:00:00Z",
                "error_code": None, "message_id": "m-1", "provider": "azure_acs",
                "event_at": "2026-10-05T10:00:09Z", "status_code": "4006",
            }
        ) + "\n",
    )  # fmt: skip
    assert choose_reader(sniff(both)).NAME == "twilio_bulk_export"
    out = cli_json("ingest", "--db", str(db_path), "--format-hint", "canonical", str(both))
    assert out["files"][0]["reader"] == "canonical"
    assert out["files"][0]["provider"] == "azure_acs"
    proc = run_cli("ingest", "--db", str(db_path), "--format-hint", "nope", str(both), check=False)
    assert proc.returncode == 1
    assert "unknown --format-hint 'nope'" in proc.stderr and "twilio_callbacks" in proc.stderr


def test_hint_reads_a_file_detection_would_not_claim(store, tmp_path):
    # A Sinch report without its `type`, from a log that kept only some keys.
    path = write(
        tmp_path / "r.json",
        '{"batch_id":"B9","recipient_x":"4477","code":0,"at":"2026-10-05T10:00:00Z"}\n',
    )
    assert "sinch_sms" not in {r.NAME for r in READERS if r.detect(sniff(path))}
    result = ingest(store, path, format_hint="sinch_sms")
    assert result.reader == "sinch_sms"


@pytest.mark.parametrize(
    ("text", "closest"),
    [
        ("a,b,c\n1,2,3\n", None),
        ("MessageSid,MessageStatus,To\nSM1,failed,+14155550100\n", "twilio_callbacks, twilio_console"),
        ('{"eventType": "Contoso.Items.ItemReceived", "data": {"itemSku": "x"}}\n',
         "azure_event_grid"),
    ],
)  # fmt: skip
def test_unrecognised_file_is_one_line_naming_the_closest_readers(store, tmp_path, text, closest):
    path = write(tmp_path / "odd.csv", text)
    result = ingest_file(store, path)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert "\n" not in error and len(error) < len(str(path)) + 250
    assert error.startswith(f"{path}: unrecognised format")
    assert ("closest: " + closest in error) if closest else ("closest" not in error)
    assert "--map message_id=" in error
    with pytest.raises(UnreadableFile):
        choose_reader(sniff(path))


def test_a_mapping_wins_over_detection(tmp_path):
    """--map names the columns of a layout no reader knows: it is read as canonical."""
    path = write(
        tmp_path / "log.csv", "Sid;When;Code;Phone\nSM1;2026-11-18T10:00:00Z;30007;+14155550100\n"
    )
    mapping = "message_id=Sid,event_at=When,status_code=Code,recipient=Phone"
    db = str(tmp_path / "m.duckdb")
    out = cli_json("ingest", str(path), "--map", mapping, "--provider", "twilio", "--db", db)
    assert [(f["reader"], f["loaded"]) for f in out["files"]] == [("canonical", 1)]
    rows = cli_json("report", "--by", "code", "--db", db)["rows"]
    assert [(r["provider"], r["code"], r["outcome"]) for r in rows] == [
        ("twilio", "30007", "failed")
    ]


# ------------------------------------------------------------------------------------------
# Azure Communication Services


def azure_event(mid: str, status: str, details, when: str = "2026-10-05T10:00:09Z", **extra):
    data = {"messageId": mid, "from": "18445550199", "to": "+14155552671",
            "deliveryStatus": status, "receivedTimestamp": when}  # fmt: skip
    if details is not None:
        data["deliveryStatusDetails"] = details
    event = {
        "id": mid,
        "data": data,
        "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
        "eventTime": when,
    }
    event.update(extra)
    return event


def test_azure_codes_out_of_the_details(store, tmp_path):
    lines = [
        azure_event("a1", "Failed", "ErrorCode: 5002. ErrorMessage: Message Delivery Timeout"),
        azure_event("a2", "Failed", "4006"),
        azure_event("a3", "Failed", "Message blocked by Destination carrier."),
        azure_event("a4", "Delivered", None),
        azure_event("a5", "Failed", "Something nobody documented"),
        azure_event("a6", "Failed", "ErrorCode: 4321. ErrorMessage: New in 2027"),
    ]
    path = write(tmp_path / "eg.ndjson", "".join(json.dumps(e) + "\n" for e in lines))
    accounted(ingest_file(store, path))
    got = {m: message(store, "azure_acs", m) for m in ("a1", "a2", "a3", "a4", "a5", "a6")}
    assert {m: r["code"] for m, r in got.items()} == {
        "a1": "5002", "a2": "4006", "a3": "4005", "a4": "2000", "a5": "failed", "a6": "4321",
    }  # fmt: skip
    assert got["a1"]["outcome"] == "unconfirmed"
    assert got["a4"]["outcome"] == "delivered"
    assert got["a5"]["outcome"] == "failed"  # the status word is in the catalog
    # 4321 is not in the catalog: the report's own word (Failed) gives the outcome.
    assert (got["a6"]["outcome"], got["a6"]["category"]) == ("failed", "uncatalogued")


def test_azure_arrays_per_line_cloud_events_key_case_and_bad_lines(store, tmp_path):
    cloud = {
        "id": "c1", "source": "/acs", "type": "Microsoft.Communication.SMSDeliveryReportReceived",
        "time": "2026-10-05T10:00:00Z", "specversion": "1.0",
        "DATA": {"MessageID": "c1", "TO": "+14155552671", "DeliveryStatus": "Delivered",
                 "DeliveryStatusDetails": "No error."},
    }  # fmt: skip
    other = {"id": "x", "eventType": "Microsoft.Communication.SMSReceived",
             "data": {"messageId": "in1", "from": "+14155552671"}, "eventTime": "2026-10-05T10:00:00Z"}  # fmt: skip
    text = (
        json.dumps(
            [azure_event("b1", "Delivered", "No error."), azure_event("b2", "Failed", "4004")]
        )
        + "\n"
        + json.dumps(cloud)
        + "\n{not json\n\n"
        + json.dumps(other)
        + "\n"
    )
    path = write(tmp_path / "eg.jsonl", text)
    result = ingest_file(store, path)
    accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (5, 3, 2)
    assert sorted(m for m, _, _ in events(store, "azure_acs")) == ["b1", "b2", "c1"]
    assert message(store, "azure_acs", "c1")["final_at"] == ts("2026-10-05 10:00:00")
    assert quarantine(store) == [
        (3, "malformed line: not valid JSON"),
        (5, "skipped: Microsoft.Communication.SMSReceived is not a delivery report"),
    ]


def test_azure_monitor_send_log_joins_the_reports(store, tmp_path):
    accounted(ingest_file(store, FORMATS / "azure_event_grid.json"))
    result = ingest_file(store, FORMATS / "azure_monitor.csv")
    accounted(result)
    assert result.kind == "sends"
    row = message(store, "azure_acs", "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910")
    assert row["has_send"] and row["sent_at"] == ts("2020-09-18 00:22:13.100")
    assert (row["outcome"], row["code"], row["sender"]) == ("delivered", "2000", "+18445550100")
    assert quarantine(store) == [
        (
            3,
            "skipped: SMSDeliveryReportsReceived row is not a send (reports come from the "
            "SMSDeliveryReportReceived events)",
        )
    ]


def test_azure_monitor_json_export(store, tmp_path):
    rows = [{"TimeGenerated": "2026-10-05T10:00:00Z", "OperationName": "SMSMessagesSent",
             "MessageId": "m1", "PhoneNumber": "+18445550100", "Country": "CA"}]  # fmt: skip
    path = write(tmp_path / "monitor.json", json.dumps(rows))
    result = ingest_file(store, path)
    accounted(result)
    assert result.reader == "azure_monitor"
    row = message(store, "azure_acs", "m1")
    assert (row["sent_at"], row["country"], row["outcome"]) == (
        ts("2026-10-05 10:00:00"),
        "CA",
        "no_report",
    )


# ------------------------------------------------------------------------------------------
# Salesforce Marketing Cloud

SFMC_HEADER = (
    "MobileMessageTrackingID,Mobile,MessageID,Name,Sent,Delivered,Undelivered,Outbound,"
    "Inbound,CreateDateTime,ActionDateTime,SMSStandardStatusCodeId,Description,ShortCode,Ordinal\n"
)


def test_sfmc_parts_are_one_message_in_central_standard_time(store, tmp_path):
    text = SFMC_HEADER + (
        # a 3-part message; its parts' reports in any order, an interim status first
        "500,15551230001,65,bf,1,0,0,1,0,2026-07-01 09:00:00,2026-07-01 09:00:01,2000,DeliveredToAggregator,52266,0\n"
        "502,15551230001,65,bf,1,1,0,1,0,2026-07-01 09:00:00,2026-07-01 09:00:09,4000,Delivered,52266,2\n"
        "500,15551230001,65,bf,1,1,0,1,0,2026-07-01 09:00:00,2026-07-01 09:00:05,4000,Delivered,52266,0\n"
        "501,15551230001,65,bf,1,1,0,1,0,2026-07-01 09:00:00,2026-07-01 09:00:07,4000,Delivered,52266,1\n"
        # another message to the same phone, one part; its code has no catalog entry
        "600,15551230001,65,bf,1,0,1,1,0,2026-07-01 12:00:00,2026-07-01 12:00:03,4777,Weird,52266,0\n"
        # a reply: not a send
        "700,15551230001,,,0,0,0,0,1,2026-07-01 12:05:00,2026-07-01 12:05:00,,,52266,0\n"
    )  # fmt: skip
    result = ingest_file(store, write(tmp_path / "sfmc.csv", text))
    accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (6, 5, 1)
    assert store.con.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    multi = message(store, "sfmc", "500")
    # July, yet UTC-6: SFMC data views ignore daylight saving.
    assert multi["sent_at"] == ts("2026-07-01 15:00:00")
    assert (multi["segments"], multi["outcome"], multi["code"]) == (3, "delivered", "4000")
    assert multi["final_at"] == ts("2026-07-01 15:00:09")
    assert len(events(store, "sfmc", "500")) == 4
    odd = message(store, "sfmc", "600")
    assert (odd["code"], odd["outcome"], odd["category"]) == ("4777", "unknown", "uncatalogued")
    assert quarantine(store) == [(7, "skipped: inbound message, not a send")]


def test_sfmc_timezone_option_wins(store):
    result = ingest(store, FORMATS / "sfmc_tracking.csv", timezone="Europe/London")
    accounted(result)
    assert message(store, "sfmc", "884412")["final_at"] == ts("2024-03-01 10:12:44")


def test_sfmc_without_code_uses_flags(store, tmp_path):
    text = SFMC_HEADER + (
        "1,15551230001,65,x,1,1,0,1,0,2026-10-05 09:00:00,2026-10-05 09:00:05,,,,0\n"
        "2,15551230002,65,x,1,0,1,true,false,2026-10-05 09:00:00,2026-10-05 09:00:05,,,,\n"
    )
    accounted(ingest_file(store, write(tmp_path / "flags.csv", text)))
    assert message(store, "sfmc", "1")["code"] == "delivered"
    assert message(store, "sfmc", "2")["code"] == "undelivered"


# ------------------------------------------------------------------------------------------
# Sinch


def test_sinch_code_as_number_or_string_and_status_words(store, tmp_path):
    reports = [
        {"type": "recipient_delivery_report_sms", "batch_id": "B1", "recipient": "447700900001",
         "code": 401, "status": "Dispatched", "at": "2026-10-05T10:00:01Z"},
        {"type": "recipient_delivery_report_sms", "batch_id": "B1", "recipient": "447700900001",
         "code": "0", "status": "Delivered", "at": "2026-10-05T10:00:05.5Z", "operator": "23415"},
        {"TYPE": "Recipient_Delivery_Report_SMS", "Batch_ID": "B2", "Recipient": "+447700900002",
         "Status": "Expired", "AT": "2026-10-05T11:00:00+01:00"},
        {"type": "recipient_delivery_report_sms", "batch_id": "B3", "recipient": "447700900003",
         "status": "Vanished", "at": "2026-10-05T10:00:00Z"},
        {"type": "recipient_delivery_report_mms", "batch_id": "B4", "recipient": "15551230004",
         "code": 0, "status": "Delivered", "at": "2026-10-05T10:00:00Z"},
    ]  # fmt: skip
    path = write(tmp_path / "dr.json", json.dumps(reports, indent=2))
    result = ingest_file(store, path)
    accounted(result)
    assert (result.loaded, result.rejected) == (5, 0)
    b1 = message(store, "sinch", "B1:447700900001")
    assert (b1["code"], b1["outcome"], b1["event_count"], b1["carrier"]) == (
        "0", "delivered", 2, "Vodafone",  # 23415, Vodafone UK's MCC+MNC
    )  # fmt: skip
    b2 = message(store, "sinch", "B2:447700900002")
    assert (b2["code"], b2["outcome"], b2["final_at"]) == (
        "expired", "failed", ts("2026-10-05 10:00:00"),
    )  # fmt: skip
    b3 = message(store, "sinch", "B3:447700900003")
    assert (b3["code"], b3["outcome"], b3["category"]) == ("vanished", "unknown", "uncatalogued")
    assert message(store, "sinch", "B4:15551230004")["channel"] == "mms"


def test_sinch_batch_reports_expand_per_recipient(store, tmp_path):
    text = (
        '{"type":"delivery_report_sms","batch_id":"BB","total_message_count":3,'
        '"at":"2026-10-05T10:00:00Z","statuses":[{"code":0,"status":"Delivered","count":2,'
        '"recipients":["447700900001","447700900002"]},{"code":"402","status":"Aborted",'
        '"count":1,"recipients":["447700900003"]}]}\n'
        '{"type":"delivery_report_sms","batch_id":"BS","statuses":[{"code":0,"status":"Delivered","count":7}],'
        '"at":"2026-10-05T10:00:00Z"}\n'
        '{"type":"delivery_report_sms","batch_id":"BT","statuses":[{"code":0,"status":"Delivered",'
        '"count":1,"recipients":["447700900009"]}]}\n'
    )
    received = datetime(2026, 10, 5, 11, 0)
    opts = ReadOptions(received_at=received, received_from="--received-at")
    result = ingest_file(store, write(tmp_path / "batch.ndjson", text), opts)
    accounted(result)
    # BT has no time of its own: dated by the file's receipt, not set aside.
    assert (result.rows_read, result.loaded, result.rejected) == (5, 4, 1)
    assert (result.dated_by_receipt, result.dated_from) == (1, "--received-at")
    assert [(m, c) for m, _, c in events(store, "sinch")] == [
        ("BB:447700900001", "0"), ("BB:447700900002", "0"), ("BB:447700900003", "402"),
        ("BT:447700900009", "0"),
    ]  # fmt: skip
    assert message(store, "sinch", "BT:447700900009")["final_at"] == received
    assert quarantine(store) == [
        (2, "skipped: batch report without recipients (status Delivered, count 7)"),
    ]


def test_sinch_mm7_envelopes_prefixes_and_a_broken_record(store, tmp_path):
    report = (
        "<mm7:DeliveryReportReq xmlns:mm7='urn:x'><mm7:MessageID>{id}</mm7:MessageID>"
        "<mm7:Recipient><mm7:Number>4477009000{n}</mm7:Number></mm7:Recipient>"
        "<mm7:Date>2026-10-05T10:00:0{n}Z</mm7:Date><mm7:MMStatus>{status}</mm7:MMStatus>"
        "</mm7:DeliveryReportReq>"
    )
    envelope = (
        '<?xml version="1.0"?>\n<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">\n'
        "<env:Header><mm7:TransactionID xmlns:mm7='urn:x'>t</mm7:TransactionID></env:Header>\n"
        "<env:Body>\n{body}\n</env:Body></env:Envelope>\n"
    )
    text = (
        envelope.format(body=report.format(id="m1", n=1, status="Retrieved"))  # lines 1-6
        + envelope.format(body=report.format(id="m2", n=2, status="Expired").replace(
            "</mm7:Date>", "</mm7:Dat>"))  # lines 7-12, the report on line 11
        + envelope.format(body=report.format(id="m3", n=3, status="Teleported"))
    )  # fmt: skip
    result = ingest_file(store, write(tmp_path / "mm7.xml", text))
    accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (3, 2, 1)
    assert quarantine(store) == [(11, "malformed record: mismatched tag")]
    assert message(store, "sinch", "m1")["outcome"] == "delivered"
    m3 = message(store, "sinch", "m3")
    assert (m3["code"], m3["outcome"], m3["channel"]) == ("teleported", "unknown", "mms")


# ------------------------------------------------------------------------------------------
# Webex Connect


def test_webex_receipts_without_code_and_in_other_case(store, tmp_path):
    receipts = [
        {"deliveryInfoNotification": {"deliveryInfo": {"deliveryChannel": "SMS",
         "timeStamp": "2026-10-05T10:00:00.000", "deliveryStatus": "Delivered",
         "destination": "447700900001"}, "transid": "w1"}},
        {"DeliveryInfoNotification": {"DeliveryInfo": [{"DeliveryChannel": "sms",
         "TimeStamp": "2026-10-05T10:00:00", "Code": 7201, "DeliveryStatus": "Un-Delivered",
         "Description": "Delivery failed at Operator"}], "TransId": "w2"}},
        {"deliveryInfoNotification": {"deliveryInfo": {"deliveryChannel": "SMS",
         "timeStamp": "2026-10-05T10:00:00", "deliveryStatus": "Evaporated"}, "transid": "w3"}},
    ]  # fmt: skip
    path = write(tmp_path / "webex.ndjson", "".join(json.dumps(r) + "\n" for r in receipts))
    accounted(ingest_file(store, path))
    assert message(store, "webex_connect", "w1")["code"] == "delivered"
    w2 = message(store, "webex_connect", "w2")
    assert (w2["code"], w2["outcome"], w2["final_at"]) == (
        "7201", "failed", ts("2026-10-05 10:00:00"),
    )  # fmt: skip
    w3 = message(store, "webex_connect", "w3")
    assert (w3["code"], w3["category"]) == ("evaporated", "uncatalogued")


def test_webex_naive_times_follow_the_timezone_option(store):
    accounted(ingest(store, FORMATS / "webex_webhook.json", timezone="Asia/Kolkata"))
    row = message(store, "webex_connect", "262895e4-2217-4eef-92ca-79fd0250c4a3")
    assert row["final_at"] == ts("2016-07-28 06:17:56.459")


def test_webex_export_zones_and_descriptions(store, tmp_path):
    header = "Transaction ID,Channel,Event Description,Current Status,Time,Timezone,MSISDN\n"
    text = header + (
        "t1,SMS,Submitted,Submitted,2026-10-05 15:30:00,Asia/Kolkata,919800000001\n"
        "t1,SMS,User in DnD,Un-Delivered,2026-10-05 15:30:04,(UTC+05:30) Chennai,919800000001\n"
        "t2,SMS,Carrier said no,Un-Delivered,2026-10-05 10:00:00,+0100,447700900002\n"
        "t3,SMS,7207,Un-Delivered,2026-10-05 10:00:00,,447700900003\n"
        "t4,SMS,Delivered,Delivered,2026-10-05 10:00:00,Mars/Olympus,447700900004\n"
    )
    result = ingest_file(store, write(tmp_path / "export.csv", text))
    accounted(result)
    assert (result.loaded, result.rejected) == (4, 1)
    assert sorted(events(store, "webex_connect")) == [
        ("t1", ts("2026-10-05 10:00:00"), "7501"),
        ("t1", ts("2026-10-05 10:00:04"), "7109"),
        ("t2", ts("2026-10-05 09:00:00"), "un-delivered"),
        ("t3", ts("2026-10-05 10:00:00"), "7207"),
    ]
    assert message(store, "webex_connect", "t1")["category"] == "opted_out"
    assert quarantine(store) == [(6, "unknown time zone Mars/Olympus")]


# ------------------------------------------------------------------------------------------
# Telnyx and Chirp


def telnyx_event(kind: str, status: str, when: str, errors=(), **payload):
    body = {
        "id": "t-1", "record_type": "message", "direction": "outbound", "type": "SMS",
        "from": {"phone_number": "+18445550001"},
        "to": [{"phone_number": "+13125550101", "status": status, "carrier": "VERIZON WIRELESS"}],
        "parts": 1, "tags": ["otp"], "errors": list(errors),
    }  # fmt: skip
    body.update(payload)
    return {"data": {"event_type": kind, "occurred_at": when, "payload": body}}


def test_telnyx_sent_then_finalized(store, tmp_path):
    lines = [
        # the final arrives first, the interim after it
        telnyx_event("message.finalized", "delivered", "2026-10-05T10:00:04+00:00",
                     sent_at="2026-10-05T10:00:00.5+00:00"),
        telnyx_event("message.sent", "sent", "2026-10-05T10:00:01+00:00",
                     sent_at="2026-10-05T10:00:00.5+00:00"),
        telnyx_event("message.finalized", "delivery_unconfirmed", "2026-10-05T10:10:00Z", id="t-2"),
        telnyx_event("message.finalized", "delivery_failed", "2026-10-05T10:10:00Z",
                     errors=[{"code": 40008, "title": "Undeliverable"}], id="t-3"),
        telnyx_event("message.finalized", "gone_fishing", "2026-10-05T10:10:00Z", id="t-4"),
        telnyx_event("message.received", "webhook_delivered", "2026-10-05T10:10:00Z", id="t-5",
                     direction="inbound"),
    ]  # fmt: skip
    result = ingest_file(
        store, write(tmp_path / "t.ndjson", "".join(json.dumps(x) + "\n" for x in lines))
    )
    accounted(result)
    assert (result.rows_read, result.loaded, result.rejected) == (6, 5, 1)
    t1 = message(store, "telnyx", "t-1")
    assert (t1["code"], t1["outcome"], t1["has_send"], t1["event_count"]) == (
        "delivered", "delivered", True, 2,
    )  # fmt: skip
    assert t1["sent_at"] == ts("2026-10-05 10:00:00.5")
    assert message(store, "telnyx", "t-2")["outcome"] == "unconfirmed"
    assert message(store, "telnyx", "t-3")["code"] == "40008"  # a number, stored as text
    assert message(store, "telnyx", "t-4")["category"] == "uncatalogued"
    assert quarantine(store) == [(6, "skipped: inbound message, not a delivery report")]


def test_telnyx_mdr_json_and_error_lists(store, tmp_path):
    records = [
        {"uuid": "u1", "cli": "+18445550001", "cld": "+13125550101", "status": "failed",
         "errors": ["40002"], "completed_at": "2026-10-05T10:00:05Z", "sent_at": "2026-10-05T10:00:00Z"},
        {"UUID": "u2", "CLI": "+18445550001", "CLD": "+13125550102", "Status": "gw_timeout",
         "sent_at": "2026-10-05T10:00:00Z"},
    ]  # fmt: skip
    path = write(tmp_path / "mdr.json", json.dumps(records))
    result = ingest_file(store, path)
    accounted(result)
    assert result.reader == "telnyx_mdr"
    assert message(store, "telnyx", "u1")["code"] == "40002"
    u2 = message(store, "telnyx", "u2")
    assert (u2["code"], u2["final_at"]) == ("gw_timeout", ts("2026-10-05 10:00:00"))


def test_chirp_events_and_upstream_codes(store, tmp_path):
    def event(kind, mid, when, error=None):
        data = {"message": {"id": mid, "from": "+15551234567", "to": "+15559876543", "type": "SMS"}}
        if error:
            data["error"] = error
        return {"event": kind, "timestamp": when, "data": data}

    lines = [
        event("messages.sms.sent", "c1", "2026-10-05T10:00:00Z"),
        event("messages.sms.delivered", "c1", "2026-10-05T10:00:03Z"),
        # a Chirp code the catalog lacks, resolved through the Telnyx code behind it
        event("messages.sms.failed", "c2", "2026-10-05T10:00:03Z",
              {"code": "carrier_timeout", "provider": {"source": "Telnyx", "code": 40005}}),
        # neither code known: kept, uncatalogued, failed by the event's own word
        event("messages.sms.failed", "c3", "2026-10-05T10:00:03Z",
              {"code": "mystery", "provider": {"source": "telnyx", "code": "49999"}}),
        event("messages.sms.received", "c4", "2026-10-05T10:00:03Z"),
    ]  # fmt: skip
    result = ingest_file(
        store, write(tmp_path / "c.ndjson", "".join(json.dumps(x) + "\n" for x in lines))
    )
    accounted(result)
    assert (result.loaded, result.rejected) == (4, 1)
    c1 = message(store, "chirp", "c1")
    assert (c1["code"], c1["has_send"], c1["sent_at"]) == (
        "delivered", True, ts("2026-10-05 10:00:00"),
    )  # fmt: skip
    c2 = message(store, "chirp", "c2")
    assert (c2["code"], c2["upstream_code"], c2["outcome"], c2["category"]) == (
        "carrier_timeout", "40005", "failed", "unreachable",
    )  # fmt: skip
    c3 = message(store, "chirp", "c3")
    assert (c3["code"], c3["outcome"], c3["category"]) == ("mystery", "failed", "uncatalogued")


# ------------------------------------------------------------------------------------------
# Twilio


def test_twilio_callbacks_tolerance(store, tmp_path):
    text = (
        "messagesid=SM1&messagestatus=sent&to=%2B14155552671\n"  # no time at all
        "2026-10-05T10:00:01Z\tMessageSid=SM1&MessageStatus=delivered&To=%2B14155552671&RawDlrDoneDate=2610051000\n"
        "[2026-10-05 10:00:02] MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30007&To=whatsapp%3A%2B14155552672\n"
        "MessageSid=SM3&MessageStatus=Mislaid&RawDlrDoneDate=261005100005\n"
        "this line is not a callback\n"
        "MessageSid=SM4&MessageStatus=undelivered&ErrorCode=30007.0&RawDlrDoneDate=2610051001&Body=50%25+off%E2\n"
    )
    received = datetime(2026, 10, 5, 9, 0)
    opts = ReadOptions(received_at=received, received_from="--received-at")
    result = ingest_file(store, write(tmp_path / "cb.log", text), opts)
    accounted(result)
    assert result.reader == "twilio_callbacks"
    # The line with no time at all is dated by when the log was received, never dropped.
    assert (result.rows_read, result.loaded, result.rejected) == (6, 5, 1)
    assert (result.dated_by_receipt, result.dated_from) == (1, "--received-at")
    sm1 = message(store, "twilio", "SM1")
    assert (sm1["code"], sm1["final_at"], sm1["recipient"]) == (
        "delivered", ts("2026-10-05 10:00:01"), "+14155552671",
    )  # fmt: skip
    sm2 = message(store, "twilio", "SM2")
    assert (sm2["code"], sm2["channel"], sm2["recipient"], sm2["final_at"]) == (
        "30007", "whatsapp", "+14155552672", ts("2026-10-05 10:00:02"),
    )  # fmt: skip
    sm3 = message(store, "twilio", "SM3")
    assert (sm3["code"], sm3["category"], sm3["final_at"]) == (
        "mislaid", "uncatalogued", ts("2026-10-05 10:00:05"),
    )  # fmt: skip
    assert message(store, "twilio", "SM4")["code"] == "30007"
    assert quarantine(store) == [(5, "malformed line: not a form-encoded status callback")]
    sent = store.con.execute(
        "SELECT event_at FROM events WHERE message_id = 'SM1' AND status_code = 'sent'"
    ).fetchall()
    assert sent == [(received,)]


def test_twilio_raw_dlr_done_date_is_read_in_the_timezone_option(store):
    accounted(ingest(store, FORMATS / "twilio_callbacks.txt", timezone="America/New_York"))
    row = message(store, "twilio", "SM20000000000000000000000000000001")
    assert row["final_at"] == ts("2024-03-04 15:02:00")


def test_twilio_console_and_bulk_send_and_status(store):
    accounted(ingest_file(store, FORMATS / "twilio_console.csv"))
    accounted(ingest_file(store, FORMATS / "twilio_bulk_export.ndjson.gz"))
    delivered = message(store, "twilio", "SM00000000000000000000000000000001")
    assert (delivered["sent_at"], delivered["code"], delivered["segments"]) == (
        ts("2024-03-04 18:00:05"), "delivered", 1,
    )  # fmt: skip
    bulk = message(store, "twilio", "SM10000000000000000000000000000001")
    assert (bulk["sent_at"], bulk["final_at"], bulk["outcome"]) == (
        ts("2024-03-04 10:00:01"), ts("2024-03-04 10:00:04"), "delivered",
    )  # fmt: skip
    assert quarantine(store) == [(4, "skipped: inbound message, not a send")]


def test_twilio_bulk_export_rfc2822_dates_and_numeric_strings(store, tmp_path):
    record = {
        "sid": "SMx", "status": "failed", "error_code": "30034",
        "date_sent": "Mon, 05 Oct 2026 10:00:00 +0000", "date_updated": "Mon, 05 Oct 2026 10:00:02 +0000",
        "to": "+14155552671", "num_segments": 2,
    }  # fmt: skip
    path = tmp_path / "bulk.json.gz"
    path.write_bytes(gzip.compress((json.dumps(record) + "\n").encode()))
    accounted(ingest_file(store, path))
    row = message(store, "twilio", "SMx")
    assert (row["sent_at"], row["code"], row["segments"], row["category"]) == (
        ts("2026-10-05 10:00:00"), "30034", 2, "sender_config",
    )  # fmt: skip


def test_kind_option_keeps_one_side(store):
    result = ingest(store, FORMATS / "twilio_console.csv", kind="events")
    accounted(result)
    assert result.kind == "events"
    assert store.con.execute("SELECT count(*) FROM sends").fetchone()[0] == 0
    assert store.con.execute("SELECT count(*) FROM events").fetchone()[0] == 2


def test_read_options_channel_fills_a_missing_channel(store):
    accounted(ingest_file(store, FORMATS / "sfmc_tracking.csv", ReadOptions(channel="mms")))
    assert message(store, "sfmc", "884412")["channel"] == "mms"


def test_native_csv_with_a_ragged_line_keeps_the_rest(store, tmp_path):
    lines = (FORMATS / "twilio_console.csv").read_text().splitlines()
    text = (
        "\n".join([lines[0], lines[1], lines[2] + ",extra,cells", lines[2].replace("02,", "09,")])
        + "\n"
    )
    result = ingest_file(store, write(tmp_path / "console.csv", text))
    accounted(result)
    assert result.reader == "twilio_console"
    assert (result.rows_read, result.loaded, result.rejected) == (3, 2, 1)
    [(line, reason)] = quarantine(store)
    assert line == 3 and reason.startswith("malformed line:")


def test_gzip_callbacks_and_webhooks(store, tmp_path):
    for name in ("twilio_callbacks.txt", "telnyx_finalized.json"):
        path = tmp_path / f"{name}.gz"
        path.write_bytes(gzip.compress((FORMATS / name).read_bytes()))
        result = ingest_file(store, path)
        accounted(result)
        assert result.loaded == {"twilio_callbacks.txt": 3, "telnyx_finalized.json": 1}[name]


def test_every_reader_module_is_registered_once_and_has_the_reader_protocol():
    import importlib
    import inspect
    import pkgutil

    import deliverability.readers as package

    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]
    formats = {m for m in modules if hasattr(m, "NAME")}
    assert set(READERS) == formats and len(READERS) == len(formats) == 14
    assert len(reader_names()) == len(set(reader_names()))
    for reader in READERS:
        assert isinstance(reader.NAME, str) and isinstance(reader.DESCRIPTION, str), reader
        assert list(inspect.signature(reader.detect).parameters) == ["s"], reader.NAME
        assert list(inspect.signature(reader.stage).parameters) == ["con", "s", "opts"], reader.NAME


def test_a_sender_number_is_stored_like_a_recipient(store):
    """Azure's Event Grid report gives its sender without the '+' ("from": "15555555555")."""
    accounted(ingest_file(store, FORMATS / "azure_event_grid.json"))
    row = message(store, "azure_acs", "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910")
    assert (row["sender"], row["recipient"]) == ("+15555555555", "+15555555555")


def test_a_webhook_log_is_recognised_past_a_first_record_of_another_kind(store, tmp_path):
    """Event Grid sends a subscription validation event to every new webhook first; the log
    is recognised from a sample of records and that event is set aside with its reason."""
    reports = json.loads((FORMATS / "azure_event_grid.json").read_text())
    validation = {
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        "topic": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Communication/communicationServices/z",
        "subject": "",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2022-10-28T04:23:35.1981776Z",
        "metadataVersion": "1",
        "dataVersion": "1",
    }
    lines = [json.dumps([validation]), *(json.dumps(r) for r in reports)]
    path = write(tmp_path / "webhook.ndjson", "\n".join(lines) + "\n")
    result = ingest_file(store, path)
    accounted(result)
    assert (result.reader, result.loaded, result.rejected) == ("azure_event_grid", len(reports), 1)
    assert quarantine(store) == [
        (1, "skipped: Microsoft.EventGrid.SubscriptionValidationEvent is not a delivery report")
    ]


def test_a_list_page_longer_than_the_sample_is_read_record_by_record(store, tmp_path):
    """A saved page of Twilio's GET /Messages.json (up to 1,000 messages) runs past the
    64 KiB a format is decided from: its records are sampled one by one from its list."""
    page = json.loads((PUBLISHED / "twilio_python_messages_list_page.json").read_text())
    sent = next(m for m in page["messages"] if m["direction"] != "inbound")
    page["messages"] = [dict(sent, sid=f"SM{i:032d}") for i in range(400)]
    path = write(tmp_path / "page.json", json.dumps(page, indent=2))
    assert path.stat().st_size > 64 * 1024
    result = ingest_file(store, path)
    accounted(result)
    assert (result.reader, result.rows_read, result.loaded) == ("twilio_bulk_export", 400, 400)


def test_the_providers_own_word_beats_unknown_and_the_code_stays_listed(store, tmp_path):
    """A Webex Connect receipt whose code the catalog does not know (7199, beyond every
    published table): the outcome comes from its deliveryStatus word, the category is
    uncatalogued, and the code is still listed as uncatalogued."""
    notification = {
        "deliveryInfoNotification": {
            "deliveryInfo": {
                "code": "7199", "description": "Something new",
                "deliveryStatus": "Failed", "destination": "447700900123",
                "timeStamp": "2026-11-18T10:00:00.000+00:00", "deliveryChannel": "sms",
            },
            "transid": "t-7199",
        }
    }  # fmt: skip
    result = ingest_file(store, write(tmp_path / "w.json", json.dumps(notification) + "\n"))
    accounted(result)
    row = message(store, "webex_connect", "t-7199")
    assert (row["code"], row["outcome"], row["category"]) == ("7199", "failed", "uncatalogued")
    listed = store.con.execute("SELECT DISTINCT status_code FROM uncatalogued_events").fetchall()
    assert listed == [("7199",)]


def test_the_raw_carrier_name_stays_in_the_events(store):
    accounted(ingest_file(store, FORMATS / "telnyx_finalized.json"))
    raw = store.con.execute(
        "SELECT DISTINCT carrier FROM events WHERE provider = 'telnyx'"
    ).fetchall()
    assert raw == [("T-MOBILE USA, INC.",)]


def test_an_inbound_message_in_a_callback_log_is_set_aside(store, tmp_path):
    lines = (
        "MessageSid=SM1&MessageStatus=delivered&To=%2B14155550101&RawDlrDoneDate=2611181000\n"
        "MessageSid=SM2&SmsStatus=received&MessageStatus=received&From=%2B14155550102&Body=STOP\n"
    )
    result = ingest_file(store, write(tmp_path / "hooks.txt", lines))
    accounted(result)
    assert (result.loaded, result.rejected) == (1, 1)
    assert quarantine(store) == [(2, "skipped: inbound message, not a status callback")]


def test_chirp_earlier_flat_events(store, tmp_path):
    """Chirp's earlier MESSAGE_* webhooks. Chirp published only an inbound one (read in
    test_published.py); these outbound records are ours, in the fields that page shows."""
    data = {"id": "m-1", "from": "+15551234567", "to": "+15559876543", "type": "SMS",
            "direction": "OUTBOUND", "createdAt": "2024-01-15T12:00:00.000Z"}  # fmt: skip
    lines = [
        {"event": "MESSAGE_CREATED", "data": {**data, "status": "QUEUED"}},
        {"event": "MESSAGE_SENT",
         "data": {**data, "status": "SENT", "updatedAt": "2024-01-15T12:00:01.000Z"}},
        {"event": "MESSAGE_DELIVERED",
         "data": {**data, "status": "DELIVERED", "updatedAt": "2024-01-15T12:00:04.000Z"}},
        {"event": "MESSAGE_CREATED",
         "data": {**data, "id": "m-2", "direction": "INBOUND", "status": "RECEIVED"}},
    ]  # fmt: skip
    path = write(tmp_path / "chirp.ndjson", "\n".join(json.dumps(line) for line in lines) + "\n")
    result = ingest(store, path)
    assert result.reader == "chirp_webhook"
    assert (result.rows_read, result.loaded, result.rejected) == (4, 3, 1)
    chirp = message(store, "chirp", "m-1")
    assert (chirp["code"], chirp["outcome"], chirp["has_send"]) == ("delivered", "delivered", True)
    assert str(chirp["sent_at"]) == "2024-01-15 12:00:00"
    assert str(chirp["final_at"]) == "2024-01-15 12:00:04"
    assert store.con.execute("SELECT reason FROM quarantine").fetchall() == [
        ("skipped: inbound message, not a delivery report",)
    ]
