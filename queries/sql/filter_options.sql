-- Which values can each global filter take? The most frequent first, for the sidebar.
-- Counted from the daily rollup (every message once; deliverability/sql/schema.sql).
-- Grain: one row per (dimension, value) with a non-NULL value, for provider, channel,
--   carrier, country and campaign.
-- Parameters: none.
SELECT dimension, value, CAST(sum(messages) AS BIGINT) AS messages FROM (
    SELECT 'provider' AS dimension, provider AS value, messages FROM rollup_dims_day
    UNION ALL SELECT 'channel', channel, messages FROM rollup_dims_day
    UNION ALL SELECT 'carrier', carrier, messages FROM rollup_dims_day
    UNION ALL SELECT 'country', country, messages FROM rollup_dims_day
    UNION ALL SELECT 'campaign', campaign, messages FROM rollup_dims_day
)
WHERE value IS NOT NULL
GROUP BY ALL
ORDER BY dimension, messages DESC, value
