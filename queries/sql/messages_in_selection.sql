-- Which messages are behind a selection? The global filters plus an optional outcome, newest
-- first. Recipients, and senders that are phone numbers (not short codes or sender IDs),
-- are masked to their last four digits unless $reveal is true.
-- The newest $limit are picked first and only those are masked: masking every candidate
-- before the top-N cost more than the rest of the query on a large store.
-- Grain: one row per message in the selection, at most $limit, newest first.
-- Parameters: $since, $until, $providers, $channels, $carriers, $countries, $campaigns,
--   $categories, $codes (the global filters), $outcome (a final outcome; NULL: any),
--   $reveal (true: nothing masked), $limit (how many messages at most).
WITH newest AS (
    SELECT *
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    )
    WHERE ($outcome IS NULL OR outcome = $outcome)
    ORDER BY message_at DESC, provider, message_id
    LIMIT $limit
)
SELECT
    provider, message_id, channel, message_at, outcome, category, code, upstream_code,
    status_text, carrier, country, campaign,
    CASE WHEN $reveal OR NOT regexp_matches(coalesce(sender, ''), '^\+?[0-9]{7,15}\z')
         THEN sender ELSE '••••' || right(sender, 4) END AS sender,
    CASE WHEN $reveal OR recipient IS NULL THEN recipient
         WHEN recipient LIKE 'h:%' THEN recipient            -- already a keyed hash
         ELSE '••••' || right(recipient, 4) END AS recipient,
    segments, event_count, final_at, has_send
FROM newest
ORDER BY message_at DESC, provider, message_id
