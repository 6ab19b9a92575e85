-- Which alerts were sent, to which destination, and when? The dashboard's Alerts page.
-- Grain: one row per alert delivered to one destination (an update is a row of its own),
--   newest first, at most $limit rows.
-- Parameters: $limit (how many rows at most).
WITH deliveries AS (
    SELECT * FROM alert_deliveries
),

final AS (
    SELECT sent_at, rule, kind, is_update, in_digest, grain, period_start, provider, channel,
           code, dimension, value, count, messages, rate, baseline_rate, ratio, q_value, title,
           destination_label AS destination
    FROM deliveries
)

SELECT * FROM final ORDER BY sent_at DESC, title LIMIT $limit
