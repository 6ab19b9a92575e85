-- Which status codes were reported in [$since, $until) that the same provider and channel
-- never reported in [$baseline_since, $since)? Counted over events (every report, not only
-- final statuses). A provider and channel with no reports at all in the baseline window is
-- left out: without history, nothing can be called new.
WITH period AS (
    SELECT provider, channel, status_code AS code, count(*) AS events,
           count(DISTINCT message_id) AS messages, min(event_at) AS first_seen,
           max(event_at) AS last_seen
    FROM events
    WHERE event_at >= $since AND event_at < $until
    GROUP BY ALL
),
history AS (
    SELECT DISTINCT provider, channel, status_code AS code
    FROM events
    WHERE event_at >= $baseline_since AND event_at < $since
)
SELECT p.provider, p.channel, p.code, p.events, p.messages, p.first_seen, p.last_seen
FROM period p
WHERE EXISTS (
    SELECT 1 FROM history h
    WHERE h.provider = p.provider AND h.channel IS NOT DISTINCT FROM p.channel
)
AND NOT EXISTS (
    SELECT 1 FROM history h
    WHERE h.provider = p.provider AND h.channel IS NOT DISTINCT FROM p.channel
      AND h.code = p.code
)
ORDER BY p.messages DESC, p.provider, p.channel, p.code
