-- Which codes in the data does the catalog not know, and how often do they occur?
-- Counted over events (every report, not only final statuses), of the messages the filters
-- select: the rows of uncatalogued_events, the events the store found unknown to the
-- catalog when they were loaded or when the catalog last changed (the rule:
-- deliverability/sql/uncatalogued_events.sql), a few in a thousand of all events.
-- Grain: one row per uncatalogued (provider, channel, code) with events in the selection.
-- Parameters: $whole_store (true: the filters select every message, read every row),
--   $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
--   $codes (the global filters, applied when $whole_store is false).
WITH in_selection AS (
    SELECT * FROM uncatalogued_events WHERE $whole_store
    UNION ALL
    -- With filters: the events of the messages they select, as every other view counts.
    SELECT e.* FROM uncatalogued_events e
    SEMI JOIN filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    ) m ON m.provider = e.provider AND m.message_id = e.message_id
    WHERE NOT $whole_store
)
-- The example is the latest text (ties: by message id, then text), the same on every
-- engine: any_value would show whichever row an engine met first.
SELECT provider, channel, status_code AS code,
       arg_max(status_text, (event_at, message_id, status_text))
           FILTER (WHERE status_text IS NOT NULL) AS example_text,
       count(*) AS events, count(DISTINCT message_id) AS messages,
       min(event_at) AS first_seen, max(event_at) AS last_seen
FROM in_selection
GROUP BY ALL
ORDER BY events DESC, provider, channel, code
