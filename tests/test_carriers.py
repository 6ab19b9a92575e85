"""One network, one name: the carrier table (catalog/carriers/, and the user's own file)
gives every spelling of a network its canonical name in every view, while sends and events
keep what the provider wrote; a name the table does not know passes through and is listed."""

from __future__ import annotations

import pytest

from deliverability.carriers import CarrierTableError, alias_key, load_carriers
from deliverability.store import Store
from tests.conftest import cli_json, ingest, write

EXTRA = """country,carrier,alias,mcc_mnc,source
US,Acme Mobile,Acme Mobile,,test
US,Acme Mobile,"ACME MOBILE USA, INC.",,test
US,Acme Mobile,,310999,test
GB,Acme UK,Acme Mobile,,test
"""

SENDS = """message_id,provider,channel,sent_at,recipient,country,carrier
m1,twilio,sms,2026-11-18T10:00:00Z,+14155550101,US,Acme Mobile
m2,twilio,sms,2026-11-18T10:00:01Z,+14155550102,US,"ACME MOBILE USA, INC."
m3,twilio,sms,2026-11-18T10:00:02Z,+14155550103,US,acme-mobile usa inc
m4,twilio,sms,2026-11-18T10:00:03Z,+14155550104,US,310999
m5,twilio,sms,2026-11-18T10:00:04Z,+447700900105,GB,Acme Mobile
m6,twilio,sms,2026-11-18T10:00:05Z,+14155550106,US,Nowhere Wireless
"""


@pytest.fixture
def carrier_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DELIVERABILITY_CARRIERS_EXTRA", str(write(tmp_path / "mine.csv", EXTRA)))
    db = tmp_path / "c.duckdb"
    store = Store.open(db)
    ingest(store, write(tmp_path / "sends.csv", SENDS))
    yield store, db
    store.close()


def test_every_spelling_and_code_of_a_network_is_one_carrier(carrier_store):
    store, _ = carrier_store
    rows = dict(store.con.execute("SELECT message_id, carrier FROM messages").fetchall())
    assert rows == {
        "m1": "Acme Mobile", "m2": "Acme Mobile", "m3": "Acme Mobile", "m4": "Acme Mobile",
        "m5": "Acme UK",  # the same spelling names another network in another country
        "m6": "Nowhere Wireless",  # unknown: passes through as written
    }  # fmt: skip
    raw = dict(store.con.execute("SELECT message_id, carrier FROM sends").fetchall())
    assert raw["m2"] == "ACME MOBILE USA, INC." and raw["m4"] == "310999"


def test_report_and_status_group_by_the_canonical_name(carrier_store):
    store, db = carrier_store
    store.close()  # the CLI opens the store in its own process
    report = cli_json("report", "--by", "carrier", "--db", str(db))
    assert {r["carrier"]: r["messages"] for r in report["rows"]} == {
        "Acme Mobile": 4, "Acme UK": 1, "Nowhere Wireless": 1,
    }  # fmt: skip
    unlisted = cli_json("status", "--db", str(db))["unlisted_carriers"]
    assert unlisted == [{"country": "US", "carrier": "Nowhere Wireless", "messages": 1}]


def test_a_new_spelling_in_the_users_file_re_derives_the_store(
    carrier_store, tmp_path, monkeypatch
):
    store, db = carrier_store
    store.close()
    extra = write(tmp_path / "mine.csv", EXTRA + "US,Acme Mobile,Nowhere Wireless,,we merged\n")
    monkeypatch.setenv("DELIVERABILITY_CARRIERS_EXTRA", str(extra))
    reopened = Store.open(db)
    try:
        carriers = reopened.con.execute(
            "SELECT DISTINCT carrier FROM messages ORDER BY 1"
        ).fetchall()
        assert carriers == [("Acme Mobile",), ("Acme UK",)]
        assert reopened.con.execute(
            "SELECT sum(messages) FROM rollup_dims_day WHERE carrier = 'Acme Mobile'"
        ).fetchall() == [(5,)]
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("USA,Acme,Acme,,x", "country must be two letters"),
        ("US,,Acme,,x", "missing carrier"),
        ("US,Acme,Acme,310999,x", "give an alias or an mcc_mnc"),
        ("US,Acme,,31x,x", "mcc_mnc must be 5 or 6 digits"),
        ("US,Other,acme mobile,,x", "is 'Acme Mobile' on line 2 and 'Other' here"),
    ],
)
def test_a_broken_carrier_file_names_its_line(tmp_path, row, message):
    path = write(
        tmp_path / "bad.csv",
        EXTRA.splitlines()[0] + "\nUS,Acme Mobile,Acme Mobile,,x\n" + row + "\n",
    )
    with pytest.raises(CarrierTableError, match=message):
        load_carriers(path, directory=tmp_path / "none")


def test_the_shipped_table_loads_with_one_name_per_spelling_and_country():
    names = load_carriers()
    assert names, "catalog/carriers/ holds no carrier file"
    assert alias_key("T-MOBILE USA, INC.") == "tmobileusainc"
    seen = {}
    for name in names:
        assert seen.setdefault((name.country, name.key), name.carrier) == name.carrier
