-- Which codes reported in [$since, $until) does the catalog not know, and how often?
-- Counted over events (every report, not only final statuses); the same test as
-- uncatalogued_codes.sql, for one period.
SELECT e.provider, e.channel, e.status_code AS code, any_value(e.status_text) AS example_text,
       count(*) AS events, count(DISTINCT e.message_id) AS messages,
       min(e.event_at) AS first_seen, max(e.event_at) AS last_seen
FROM events e
WHERE e.event_at >= $since AND e.event_at < $until
AND NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = e.provider AND c.code = e.status_code AND c.channel IN (e.channel, '*')
)
AND NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = e.upstream_provider AND c.code = e.upstream_code
      AND c.channel IN (e.channel, '*')
)
GROUP BY ALL
ORDER BY events DESC, e.provider, e.channel, code
