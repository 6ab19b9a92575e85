-- Which codes reported in [$since, $until) does the catalog not know, and how often?
-- Counted over events (every report, not only final statuses): the period's rows of
-- uncatalogued_events, the events the store found unknown to the catalog when they were
-- loaded or when the catalog last changed (the rule: deliverability/sql/
-- uncatalogued_events.sql). The same list as uncatalogued_codes.sql, for one period.
-- Grain: one row per uncatalogued (provider, channel, code) with events in the period.
-- Parameters: $since (inclusive), $until (exclusive): the event_at window.
-- The example is the latest text (ties: by message id, then text), the same on every
-- engine: any_value would show whichever row an engine met first.
SELECT provider, channel, status_code AS code,
       arg_max(status_text, (event_at, message_id, status_text))
           FILTER (WHERE status_text IS NOT NULL) AS example_text,
       count(*) AS events, count(DISTINCT message_id) AS messages,
       min(event_at) AS first_seen, max(event_at) AS last_seen
FROM uncatalogued_events
WHERE event_at >= $since AND event_at < $until
GROUP BY ALL
ORDER BY events DESC, provider, channel, code
