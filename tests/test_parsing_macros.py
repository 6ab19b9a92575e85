"""The SQL macros every ingest types its rows with (deliverability/sql/macros.sql).

They take fast paths for the common shapes (a code already lower-case, a UTC stamp ending
in Z, a number without spaces); these cases pin the results, fast path or not.
"""

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from deliverability.store import prepare_connection


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    prepare_connection(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("\t", None),
        ("\u00a0\u3000", None),
        ("4000\t", "4000"),
        ("\u00a04000\u2009", "4000"),
        ("4000", "4000"),
        (" 4000 ", "4000"),
        ("4000.0", "4000"),
        ("-1.00", "-1"),
        ("4000.5", "4000.5"),
        ("12.0.0", "12.0.0"),
        ("DELIVRD", "delivrd"),
        ("Delivered ", "delivered"),
        ("sent", "sent"),
        ("ok_1", "ok_1"),
        ("Status-X", "status-x"),
    ],
)
def test_norm_code(con, raw, stored):
    assert con.execute("SELECT norm_code(?::VARCHAR)", [raw]).fetchone()[0] == stored


MAY_1_10H = datetime(2025, 5, 1, 10, 0)


@pytest.mark.parametrize(
    ("raw", "tz", "utc"),
    [
        ("2025-05-01T00:00:00.562Z", "America/New_York", datetime(2025, 5, 1, 0, 0, 0, 562000)),
        (" 2025-05-01T10:00:00Z ", "UTC", MAY_1_10H),
        ("2025-05-01T10:00:00+02:00", "America/New_York", datetime(2025, 5, 1, 8, 0)),
        ("2025-05-01T10:00:00-0500", "UTC", datetime(2025, 5, 1, 15, 0)),
        ("2025-05-01 10:00:00 UTC", "America/New_York", MAY_1_10H),
        ("Thu, 01 May 2025 10:00:00 +0000", "America/New_York", MAY_1_10H),
        # naive text is read in the file's time zone (EDT is UTC-4 in May)
        ("2025-05-01 10:00:00", "UTC", MAY_1_10H),
        ("2025-05-01 10:00:00", "America/New_York", datetime(2025, 5, 1, 14, 0)),
        ("05/01/2025 10:00:00", "America/New_York", datetime(2025, 5, 1, 14, 0)),
        ("05/01/2025 10:00 AM", "UTC", MAY_1_10H),
        # epoch seconds and milliseconds are UTC whatever the file's zone
        ("1746093600", "America/New_York", MAY_1_10H),
        ("1746093600000", "America/New_York", MAY_1_10H),
        ("1746093600.5", "UTC", datetime(2025, 5, 1, 10, 0, 0, 500000)),
        # a named zone is honoured, never dropped: IANA names (with their DST), abbreviations
        # as one fixed offset each (PST is -08:00 in July too), GMT/UTC with an offset
        ("2026-11-18 09:00:00 EST", "UTC", datetime(2026, 11, 18, 14, 0)),
        ("2026-07-18 09:00:00 PST", "UTC", datetime(2026, 7, 18, 17, 0)),
        ("2026-11-18 09:00:00 CET", "America/New_York", datetime(2026, 11, 18, 8, 0)),
        ("2026-11-18 09:00:00 BST", "UTC", datetime(2026, 11, 18, 8, 0)),
        ("2026-11-18 09:00:00 IST", "UTC", datetime(2026, 11, 18, 3, 30)),
        ("2026-11-18 09:00:00 America/New_York", "UTC", datetime(2026, 11, 18, 14, 0)),
        ("2026-07-18 09:00:00 America/New_York", "UTC", datetime(2026, 7, 18, 13, 0)),
        ("2026-11-18 09:00:00 Etc/GMT-2", "UTC", datetime(2026, 11, 18, 7, 0)),
        ("2026-11-18 09:00:00 GMT+2", "America/New_York", datetime(2026, 11, 18, 7, 0)),
        ("2026-11-18 09:00:00 UTC+05:30", "UTC", datetime(2026, 11, 18, 3, 30)),
        ("2026-11-18 09:00:00 -05:00", "UTC", datetime(2026, 11, 18, 14, 0)),
        ("11/18/2026 09:00:00 -0500", "UTC", datetime(2026, 11, 18, 14, 0)),
        ("2026-11-18T09:00:00z", "America/New_York", datetime(2026, 11, 18, 9, 0)),
        ("Wed, 18 Nov 2026 09:00:00 GMT", "America/New_York", datetime(2026, 11, 18, 9, 0)),
        # a date alone is midnight in the file's zone (its '-18' is not an offset)
        ("2026-11-18", "America/New_York", datetime(2026, 11, 18, 5, 0)),
        ("2026-11-18", "UTC", datetime(2026, 11, 18, 0, 0)),
        ("11/18/2026 9:00 PM", "UTC", datetime(2026, 11, 18, 21, 0)),
        # zone names ICU knows without a slash; a bare one-digit offset; PM after ISO text
        ("2026-11-18 09:00:00 EST5EDT", "UTC", datetime(2026, 11, 18, 14, 0)),
        ("2026-11-18 09:00:00 W-SU", "UTC", datetime(2026, 11, 18, 6, 0)),
        ("2026-11-18 09:00:00 GMT0", "America/New_York", datetime(2026, 11, 18, 9, 0)),
        ("2026-11-18 09:00:00+5", "UTC", datetime(2026, 11, 18, 4, 0)),
        ("2026-11-18 09:00:00 PM", "UTC", datetime(2026, 11, 18, 21, 0)),
        ("2026-11-18T09:00:00+0530", "UTC", datetime(2026, 11, 18, 3, 30)),
        # a zone we do not know, or an offset out of range, or anything else after the time:
        # no time (the row is rejected), never the time read as naive
        ("2026-11-18 09:00:00 EST-5", "UTC", None),
        ("11/18/2026 9:00 PM EST", "UTC", None),
        ("2026-11-18 09:00:00 XYZ", "UTC", None),
        ("2026-11-18 09:00:00 Mars/Olympus", "UTC", None),
        ("2026-11-18 09:00:00+25:00", "UTC", None),
        ("garbage", "UTC", None),
        ("", "UTC", None),
        ("   ", "UTC", None),
        (None, "UTC", None),
    ],
)
def test_parse_ts(con, raw, tz, utc):
    assert con.execute("SELECT parse_ts(?::VARCHAR, ?)", [raw, tz]).fetchone()[0] == utc


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ("2026-11-18 09:00:00 XYZ", "XYZ"),
        ("2026-11-18 09:00:00 Mars/Olympus", "Mars/Olympus"),
        ("2026-11-18 09:00:00 EST", None),
        ("11/18/2026 9:00 PM", None),
        ("garbage", None),
    ],
)
def test_unknown_zone_is_named(con, raw, zone):
    assert con.execute("SELECT unknown_zone(?::VARCHAR)", [raw]).fetchone()[0] == zone


def test_zone_abbreviations_are_the_readmes_table(con):
    """The README's table of abbreviations is the one the parser uses, offset for offset."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("<!-- zone-abbreviations -->")[1]
    documented = dict(re.findall(r"`([A-Z]{2,5})` ([+-][0-9]{2}:[0-9]{2})", section))
    assert len(documented) >= 40
    for abbreviation, offset in documented.items():
        sign = -1 if offset[0] == "-" else 1
        minutes = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
        got = con.execute("SELECT zone_abbreviation_minutes(?)", [abbreviation]).fetchone()[0]
        assert got == minutes, abbreviation
    macro = (Path(__file__).resolve().parent.parent / "deliverability/sql/macros.sql").read_text()
    assert set(re.findall(r"'([A-Z]{2,5})': -?[0-9]+", macro)) == set(documented)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("+16462169404", "+16462169404"),
        (" +16462169404 ", "+16462169404"),
        ("16462169404", "+16462169404"),
        ("0044 7700 900123", "+447700900123"),
        ("+1 (646) 216-9404", "+16462169404"),
        ("user@example.com", "user@example.com"),
        ("12345", "12345"),
        ("", None),
        (None, None),
    ],
)
def test_norm_number(con, raw, stored):
    assert con.execute("SELECT norm_number(?::VARCHAR)", [raw]).fetchone()[0] == stored


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("m1", "m1"),
        ("m1\t", "m1"),
        ("\tm1", "m1"),
        ("m1\u00a0", "m1"),
        ("\u202fm1\u3000", "m1"),
        ("\ufeffm1", "m1"),
        ("m1\u200b", "m1"),
        ("m 1", "m 1"),  # inner whitespace is part of the value
        ("\t", None),
        ("\u00a0 \u3000\r\n", None),
    ],
)
def test_nz_trims_unicode_whitespace(con, raw, stored):
    assert con.execute("SELECT nz(?::VARCHAR)", [raw]).fetchone()[0] == stored
