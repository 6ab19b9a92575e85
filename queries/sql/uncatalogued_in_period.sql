-- Which codes reported in [$since, $until) does the catalog not know, and how often?
-- Counted over events (every report, not only final statuses); the same test as
-- uncatalogued_codes.sql, for one period: the unknown keys (unknown_code_keys.sql), then
-- only the period's events with an unknown key are counted.
WITH unknown AS (SELECT * FROM unknown_code_keys())
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
