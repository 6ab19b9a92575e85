-- How many messages are behind a selection? The count messages_in_selection.sql lists the
-- newest of.
-- Grain: one row: messages.
-- Parameters: $since, $until, $providers, $channels, $carriers, $countries, $campaigns,
--   $categories, $codes (the global filters), $outcome (a final outcome; NULL: any).
WITH final AS (
    SELECT count(*) AS messages
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    )
    WHERE ($outcome IS NULL OR outcome = $outcome)
)
SELECT * FROM final
