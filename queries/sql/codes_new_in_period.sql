-- Which status codes were reported in [$since, $until) that the same provider and channel
-- never reported in [$baseline_since, $since)? Counted over events (every report, not only
-- final statuses). A provider and channel with no reports at all in the baseline window is
-- left out: without history, nothing can be called new.
-- The three bounds are midnights UTC (a review's weeks): which keys occur when is read from
-- event_code_days (events per day and code key, kept at ingest), not from every event.
-- Grain: one row per (provider, channel, code) new in the period, with its events in it.
-- Parameters: $baseline_since (start of the history window), $since (start of the period,
--   end of the history), $until (end of the period, exclusive); all three midnights UTC.
WITH keys AS (
    SELECT provider, channel, status_code AS code,
           bool_or(day >= $since) AS in_period,
           bool_or(day < $since) AS in_history
    FROM event_code_days
    WHERE day >= $baseline_since AND day < $until
    GROUP BY ALL
),
new_codes AS (
    SELECT k.provider, k.channel, k.code FROM keys k
    WHERE k.in_period AND NOT k.in_history
      AND EXISTS (
        SELECT 1 FROM keys h
        WHERE h.in_history AND h.provider = k.provider
          AND h.channel IS NOT DISTINCT FROM k.channel
    )
)
-- Counting distinct messages needs the events themselves: only the new codes' are read.
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
