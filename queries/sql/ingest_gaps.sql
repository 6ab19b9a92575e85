-- Messages and delivery reports per UTC day and provider, for every day in
-- [$baseline_since, $until) (days without any row appear with 0), for every provider with
-- messages in that window. The review finds the days with no data in its week from this,
-- and what a normal day looked like before.
WITH days AS (
    SELECT unnest(generate_series(
        CAST($baseline_since AS TIMESTAMP),
        CAST($until AS TIMESTAMP) - INTERVAL 1 DAY,
        INTERVAL 1 DAY
    )) AS day
),
providers AS (
    SELECT DISTINCT provider FROM messages
    WHERE message_at >= $baseline_since AND message_at < $until
),
sent AS (
    SELECT date_trunc('day', message_at) AS day, provider, count(*) AS messages
    FROM messages
    WHERE message_at >= $baseline_since AND message_at < $until
    GROUP BY ALL
),
reported AS (
    SELECT date_trunc('day', event_at) AS day, provider, count(*) AS events
    FROM events
    WHERE event_at >= $baseline_since AND event_at < $until
    GROUP BY ALL
)
SELECT d.day, p.provider,
       coalesce(s.messages, 0) AS messages,
       coalesce(r.events, 0) AS events
FROM days d
CROSS JOIN providers p
LEFT JOIN sent s ON s.day = d.day AND s.provider = p.provider
LEFT JOIN reported r ON r.day = d.day AND r.provider = p.provider
ORDER BY d.day, p.provider
