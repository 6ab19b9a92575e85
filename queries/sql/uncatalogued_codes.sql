-- Which codes in the data does the catalog not know, and how often do they occur?
-- Counted over events (every report, not only final statuses).
SELECT e.provider, e.channel, e.status_code AS code, any_value(e.status_text) AS example_text,
       count(*) AS events, count(DISTINCT e.message_id) AS messages,
       min(e.event_at) AS first_seen, max(e.event_at) AS last_seen
FROM events e
WHERE NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = e.provider AND c.code = e.status_code AND c.channel IN (e.channel, '*')
)
AND NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = e.upstream_provider AND c.code = e.upstream_code
      AND c.channel IN (e.channel, '*')
)
GROUP BY ALL
ORDER BY events DESC
