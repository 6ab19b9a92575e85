-- Which codes in the data does the catalog not know, and how often do they occur?
-- Counted over events (every report, not only final statuses), of the messages the filters
-- select.
-- Which keys are unknown: queries/sql/unknown_code_keys.sql; only the events with an
-- unknown key are read and counted.
WITH unknown AS (SELECT * FROM unknown_code_keys()),
unknown_events AS NOT MATERIALIZED (
    -- Narrowing by status_code first lets DuckDB read the other columns only for those events.
    -- Not materialized: only one branch of in_selection runs, and a materialized copy cost a
    -- tenth of the query at 10M messages.
    SELECT e.* FROM (SELECT * FROM events WHERE status_code IN (SELECT status_code FROM unknown)) e
    SEMI JOIN unknown u
        ON u.provider = e.provider
        AND u.channel IS NOT DISTINCT FROM e.channel
        AND u.status_code = e.status_code
        AND u.upstream_provider IS NOT DISTINCT FROM e.upstream_provider
        AND u.upstream_code IS NOT DISTINCT FROM e.upstream_code
),
in_selection AS (
    SELECT * FROM unknown_events WHERE $whole_store
    UNION ALL
    -- With filters: the events of the messages they select, as every other view counts.
    SELECT e.* FROM unknown_events e
    SEMI JOIN filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    ) m ON m.provider = e.provider AND m.message_id = e.message_id
    WHERE NOT $whole_store
)
SELECT provider, channel, status_code AS code, any_value(status_text) AS example_text,
       count(*) AS events, count(DISTINCT message_id) AS messages,
       min(event_at) AS first_seen, max(event_at) AS last_seen
FROM in_selection
GROUP BY ALL
ORDER BY events DESC, provider, channel, code
