-- A stored (UTC) time as the wall-clock time in the display zone: time buckets are cut at
-- that zone's midnights (queries/zones.py). UTC passes through untouched, so the default
-- costs nothing per row.
-- Grain: a value per call.
-- Parameters: ts (a UTC TIMESTAMP), zone (an IANA time zone name, or 'UTC').
CREATE OR REPLACE TEMP MACRO local_time(ts, zone) AS
    CASE WHEN zone = 'UTC' THEN ts ELSE timezone(zone, timezone('UTC', ts)) END;
