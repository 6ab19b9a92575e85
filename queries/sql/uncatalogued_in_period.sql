-- Which codes reported in [$since, $until) does the catalog not know, and how often?
-- Counted over events (every report, not only final statuses); the same test as
-- uncatalogued_codes.sql, for one period: the unknown keys (unknown_code_keys.sql), then
-- only the period's events with an unknown key are counted.
WITH unknown AS (
    -- Only the unknown keys reported on the period's days (event_code_days): when there
    -- are none, no event need be read.
    SELECT * FROM unknown_code_keys() u
    WHERE EXISTS (
        SELECT 1 FROM event_code_days d
        WHERE d.day >= date_trunc('day', $since) AND d.day < $until
          AND d.provider = u.provider
          AND d.channel IS NOT DISTINCT FROM u.channel
          AND d.status_code IS NOT DISTINCT FROM u.status_code
          AND d.upstream_provider IS NOT DISTINCT FROM u.upstream_provider
          AND d.upstream_code IS NOT DISTINCT FROM u.upstream_code
    )
)
SELECT e.provider, e.channel, e.status_code AS code, any_value(e.status_text) AS example_text,
       count(*) AS events, count(DISTINCT e.message_id) AS messages,
       min(e.event_at) AS first_seen, max(e.event_at) AS last_seen
FROM (
    SELECT * FROM events
    WHERE event_at >= $since AND event_at < $until
      AND status_code IN (SELECT status_code FROM unknown)
) e
SEMI JOIN unknown u
    ON u.provider = e.provider
    AND u.channel IS NOT DISTINCT FROM e.channel
    AND u.status_code = e.status_code
    AND u.upstream_provider IS NOT DISTINCT FROM e.upstream_provider
    AND u.upstream_code IS NOT DISTINCT FROM e.upstream_code
GROUP BY ALL
ORDER BY events DESC, e.provider, e.channel, code
