-- How long from send to final report? The 50th, 90th and 99th percentile, in seconds, per
-- time bucket and per combination of the chosen dimensions, over the messages that have a
-- send time and a final report (delivered, failed or unconfirmed). Read from the messages
-- themselves: percentiles do not add up, so no rollup can answer. Milliseconds are kept.
-- Grain: one row per (period_start, combination of the flagged dimensions) with such
--   messages; dimensions not flagged are NULL (as message_cube.sql).
-- Parameters: $grain ('hour', 'day' or 'week'; NULL: one bucket), $by_provider,
--   $by_channel, $by_code, $by_category, $by_outcome, $by_carrier, $by_country,
--   $by_campaign, $by_sender (booleans), $since, $until, $providers, $channels, $carriers,
--   $countries, $campaigns, $categories, $codes, $zone (the filters and the display zone, as
--   message_cube.sql).
WITH timed AS (
    SELECT message_at, provider, channel, code, category, outcome, carrier, country,
           campaign, sender, epoch(final_at) - epoch(sent_at) AS latency_s
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    )
    WHERE has_send AND sent_at IS NOT NULL AND final_at IS NOT NULL AND final_at >= sent_at
      AND outcome IN ('delivered', 'failed', 'unconfirmed')
),
grouped AS (
    SELECT
        CASE WHEN $grain IS NOT NULL THEN date_trunc($grain, local_time(message_at, $zone)) END
            AS period_start,
        CASE WHEN $by_provider OR $by_code THEN provider END AS provider,
        CASE WHEN $by_channel OR $by_code THEN channel END AS channel,
        CASE WHEN $by_code THEN code END AS code,
        CASE WHEN $by_category OR $by_code THEN category END AS category,
        CASE WHEN $by_outcome OR $by_code THEN outcome END AS outcome,
        CASE WHEN $by_carrier THEN carrier END AS carrier,
        CASE WHEN $by_country THEN country END AS country,
        CASE WHEN $by_campaign THEN campaign END AS campaign,
        CASE WHEN $by_sender THEN sender END AS sender,
        -- One sort of each group's latencies for the three percentiles, not three.
        quantile_cont(latency_s, [0.5, 0.9, 0.99]) AS percentiles
    FROM timed
    GROUP BY ALL
),
final AS (
    SELECT * EXCLUDE (percentiles),
        round(percentiles[1], 3) AS latency_p50_s,
        round(percentiles[2], 3) AS latency_p90_s,
        round(percentiles[3], 3) AS latency_p99_s
    FROM grouped
)
SELECT * FROM final
