-- Per UTC day and provider, for every day in [$baseline_since, $until) (days without any
-- row appear with 0), for every provider with messages in that window:
--   messages: messages sent that day; reported: how many of them got any delivery report
--   (both from rollup_code_hour: the window is on whole days, as the bounds are midnights);
--   events: delivery reports stamped that day, counted for the review week [$since, $until)
--   only (NULL before it): a missing day of reports shows as 0 there even when messages
--   sent just before midnight got their reports the next day.
-- The review finds the days with no data in its week from this, and what a normal day
-- looked like before.
-- Grain: one row per (UTC day of [$baseline_since, $until), provider with messages in that
--   window).
-- Parameters: $baseline_since (first day of the history), $since (first day of the review
--   week), $until (end of the week, exclusive); all three midnights UTC.
WITH days AS (
    SELECT unnest(generate_series(
        CAST($baseline_since AS TIMESTAMP),
        CAST($until AS TIMESTAMP) - INTERVAL 1 DAY,
        INTERVAL 1 DAY
    )) AS day
),
providers AS (
    SELECT DISTINCT provider FROM rollup_code_hour
    WHERE hour >= $baseline_since AND hour < $until
),
-- From rollup_code_hour (the window is on whole days): messages by the day they were sent,
-- and how many of them got any delivery report (outcome no_report: none at all).
sent AS (
    SELECT date_trunc('day', hour) AS day, provider, sum(messages) AS messages,
           coalesce(sum(messages) FILTER (WHERE outcome IS DISTINCT FROM 'no_report'), 0)
               AS reported
    FROM rollup_code_hour
    WHERE hour >= $baseline_since AND hour < $until
    GROUP BY ALL
),
-- From event_code_days (events per day and code key, kept at ingest), not every event.
week_reports AS (
    SELECT day, provider, sum(events) AS events
    FROM event_code_days
    WHERE day >= $since AND day < $until
    GROUP BY ALL
)
SELECT d.day, p.provider,
       coalesce(s.messages, 0) AS messages,
       coalesce(s.reported, 0) AS reported,
       CASE WHEN d.day >= $since THEN coalesce(r.events, 0) END AS events
FROM days d
CROSS JOIN providers p
LEFT JOIN sent s ON s.day = d.day AND s.provider = p.provider
LEFT JOIN week_reports r ON r.day = d.day AND r.provider = p.provider
ORDER BY d.day, p.provider
