-- Which status codes were reported in [$since, $until) that the same provider and channel
-- never reported in [$baseline_since, $since)? Counted over events (every report, not only
-- final statuses). A provider and channel with no reports at all in the baseline window is
-- left out: without history, nothing can be called new.
WITH period AS (
    SELECT DISTINCT provider, channel, status_code AS code
    FROM events
    WHERE event_at >= $since AND event_at < $until
),
history AS (
    SELECT DISTINCT provider, channel, status_code AS code
    FROM events
    WHERE event_at >= $baseline_since AND event_at < $since
),
new_codes AS (
    SELECT p.* FROM period p
    WHERE EXISTS (
        SELECT 1 FROM history h
        WHERE h.provider = p.provider AND h.channel IS NOT DISTINCT FROM p.channel
    )
    AND NOT EXISTS (
        SELECT 1 FROM history h
        WHERE h.provider = p.provider AND h.channel IS NOT DISTINCT FROM p.channel
          AND h.code = p.code
    )
)
-- Counting distinct messages is the costly part: only for the new codes' events.
SELECT e.provider, e.channel, e.status_code AS code, count(*) AS events,
       count(DISTINCT e.message_id) AS messages, min(e.event_at) AS first_seen,
       max(e.event_at) AS last_seen
FROM (
    SELECT * FROM events
    WHERE event_at >= $since AND event_at < $until
      AND status_code IN (SELECT code FROM new_codes)
) e
SEMI JOIN new_codes n
    ON n.provider = e.provider AND n.channel IS NOT DISTINCT FROM e.channel
    AND n.code = e.status_code
GROUP BY ALL
ORDER BY messages DESC, e.provider, e.channel, code
