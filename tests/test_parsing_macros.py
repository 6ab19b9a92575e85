"""The SQL macros every ingest types its rows with (deliverability/sql/macros.sql).

They take fast paths for the common shapes (a code already lower-case, a UTC stamp ending
in Z, a number without spaces); these cases pin the results, fast path or not.
"""

from datetime import datetime

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
        ("garbage", "UTC", None),
        ("", "UTC", None),
        ("   ", "UTC", None),
        (None, "UTC", None),
    ],
)
def test_parse_ts(con, raw, tz, utc):
    assert con.execute("SELECT parse_ts(?::VARCHAR, ?)", [raw, tz]).fetchone()[0] == utc


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
