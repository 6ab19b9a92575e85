-- Re-count the rollups for the hours in TEMP table touched_hours(hour): every message whose
-- message_at falls in one of them, before or after this ingest (refresh_messages.sql fills
-- touched_hours). Re-counting whole buckets from `messages`, rather than adding deltas,
-- keeps the rollups exactly equal to counting the messages, whatever happened before.
-- Grain: writes rollup_code_hour (one row per hour, provider, channel, code, category and
--   outcome with messages), rollup_dims_day (one row per day and the same plus carrier,
--   country and campaign) and rollup_latency_day (one row per day, the code's columns and
--   latency, latency_bucket.sql), for the touched hours and their days.
-- Parameters: TEMP table touched_hours(hour).

CREATE OR REPLACE TEMP TABLE touched_days AS
SELECT DISTINCT date_trunc('day', hour) AS day FROM touched_hours;

DELETE FROM rollup_code_hour WHERE hour IN (SELECT hour FROM touched_hours);

INSERT INTO rollup_code_hour
SELECT date_trunc('hour', message_at) AS hour, provider, channel, code, category, outcome,
       count(*) AS messages
FROM messages
-- The range lets DuckDB skip row groups by their min/max before the exact test.
WHERE message_at >= (SELECT min(hour) FROM touched_hours)
  AND message_at < (SELECT max(hour) FROM touched_hours) + INTERVAL 1 HOUR
  AND date_trunc('hour', message_at) IN (SELECT hour FROM touched_hours)
GROUP BY ALL;

DELETE FROM rollup_dims_day WHERE day IN (SELECT day FROM touched_days);

INSERT INTO rollup_dims_day
SELECT date_trunc('day', message_at) AS day, provider, channel, code, category, outcome,
       carrier, country, campaign, count(*) AS messages
FROM messages
WHERE message_at >= (SELECT min(day) FROM touched_days)
  AND message_at < (SELECT max(day) FROM touched_days) + INTERVAL 1 DAY
  AND date_trunc('day', message_at) IN (SELECT day FROM touched_days)
GROUP BY ALL;

DELETE FROM rollup_latency_day WHERE day IN (SELECT day FROM touched_days);

INSERT INTO rollup_latency_day
SELECT day, provider, channel, code, category, outcome, latency_bucket(latency_ms) AS latency_ms,
       count(*) AS messages
FROM (
    SELECT date_trunc('day', message_at) AS day, provider, channel, code, category, outcome,
           latency_ms(has_send, sent_at, final_at, outcome) AS latency_ms
    FROM messages
    WHERE message_at >= (SELECT min(day) FROM touched_days)
      AND message_at < (SELECT max(day) FROM touched_days) + INTERVAL 1 DAY
      AND date_trunc('day', message_at) IN (SELECT day FROM touched_days)
)
WHERE latency_ms IS NOT NULL
GROUP BY ALL;
