-- Messages, and how many of them got a delivery report, per UTC day (of the send) and
-- provider, for every day in [$baseline_since, $until) (days without any row appear with 0),
-- for every provider with messages in that window. The review finds the days with no data
-- in its week from this, and what a normal day looked like before.
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
)
SELECT d.day, p.provider,
       coalesce(s.messages, 0) AS messages,
       coalesce(s.reported, 0) AS reported
FROM days d
CROSS JOIN providers p
LEFT JOIN sent s ON s.day = d.day AND s.provider = p.provider
ORDER BY d.day, p.provider
