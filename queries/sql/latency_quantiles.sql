-- How long from send to final report? The 50th, 90th and 99th percentile, in seconds, per
-- time bucket and per combination of the chosen dimensions, over the messages that have a
-- send time and a final report (delivered, failed or unconfirmed) at or after it. Each
-- message's latency is deliverability/sql/latency_bucket.sql's: milliseconds, to three
-- significant figures above one second. Percentile q lies at 0-based rank (n - 1) * q of
-- the group's n latencies in order, between the latencies at the ranks either side
-- (quantile_cont's definition), and is rounded to the millisecond.
--
-- The latencies come from rollup_latency_day (how many messages took each latency, per day
-- and code) when nothing by carrier, country, campaign or sender is grouped or filtered and
-- the window and buckets are whole UTC days (rollup_choice.sql's latency_rollup_answers),
-- else from the messages themselves. Both give the same numbers.
-- Grain: one row per (period_start, combination of the flagged dimensions) with such
--   messages; dimensions not flagged are NULL (as message_cube.sql).
-- Parameters: $grain ('hour', 'day' or 'week'; NULL: one bucket), $by_provider,
--   $by_channel, $by_code, $by_category, $by_outcome, $by_carrier, $by_country,
--   $by_campaign, $by_sender (booleans), $since, $until, $providers, $channels, $carriers,
--   $countries, $campaigns, $categories, $codes, $zone (the filters and the display zone, as
--   message_cube.sql).
WITH src AS (
    SELECT TRUE AS from_rollup, day AS message_at, provider, channel, code, category,
           outcome, NULL::VARCHAR AS carrier, NULL::VARCHAR AS country,
           NULL::VARCHAR AS campaign, NULL::VARCHAR AS sender, latency_ms, messages
    FROM rollup_latency_day
    WHERE latency_rollup_answers(
        $by_carrier OR $by_country OR $by_campaign OR $by_sender, $carriers, $countries,
        $campaigns,
        $grain IS NOT DISTINCT FROM 'hour' OR ($grain IS NOT NULL AND $zone <> 'UTC'),
        $since, $until
    )
      AND ($since IS NULL OR day >= $since) AND ($until IS NULL OR day < $until)
      AND (array_length($providers) = 0 OR list_contains($providers, provider))
      AND (array_length($channels) = 0 OR list_contains($channels, channel))
      AND (array_length($categories) = 0 OR list_contains($categories, category))
      AND (array_length($codes) = 0 OR list_contains($codes, code))
    UNION ALL
    SELECT FALSE, message_at, provider, channel, code, category, outcome, carrier, country,
           campaign, sender, latency_bucket(latency_ms), 1
    FROM (
        SELECT *, latency_ms(has_send, sent_at, final_at, outcome) AS latency_ms
        FROM filtered_messages(
            $since, $until, $providers, $channels, $carriers, $countries, $campaigns,
            $categories, $codes
        )
        WHERE NOT latency_rollup_answers(
            $by_carrier OR $by_country OR $by_campaign OR $by_sender, $carriers, $countries,
            $campaigns,
            $grain IS NOT DISTINCT FROM 'hour' OR ($grain IS NOT NULL AND $zone <> 'UTC'),
            $since, $until
        )
    )
    WHERE latency_ms IS NOT NULL
),
-- Each latency with its group (only one of the two sources has rows).
keyed AS NOT MATERIALIZED (
    SELECT from_rollup,
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
        latency_ms, messages
    FROM src
),
-- From the rollup: how many messages of each group took each latency, and with each the
-- number at or below it (the latency at rank r is the smallest whose `through` exceeds r).
tallied AS (
    SELECT period_start, provider, channel, code, category, outcome, carrier, country,
        campaign, sender, latency_ms, sum(messages) AS messages
    FROM keyed
    WHERE from_rollup
    GROUP BY ALL
),
ranked AS (
    SELECT *,
        sum(messages) OVER (
            PARTITION BY period_start, provider, channel, code, category, outcome, carrier,
                country, campaign, sender
            ORDER BY latency_ms ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS through,
        sum(messages) OVER (
            PARTITION BY period_start, provider, channel, code, category, outcome, carrier,
                country, campaign, sender
        ) - 1 AS last_rank
    FROM tallied
),
rollup_ranks AS (
    SELECT period_start, provider, channel, code, category, outcome, carrier, country,
        campaign, sender, max(last_rank) AS last_rank,
        min(latency_ms) FILTER (WHERE through > floor(last_rank * 0.5)) AS below50,
        min(latency_ms) FILTER (WHERE through > ceil(last_rank * 0.5)) AS above50,
        min(latency_ms) FILTER (WHERE through > floor(last_rank * 0.9)) AS below90,
        min(latency_ms) FILTER (WHERE through > ceil(last_rank * 0.9)) AS above90,
        min(latency_ms) FILTER (WHERE through > floor(last_rank * 0.99)) AS below99,
        min(latency_ms) FILTER (WHERE through > ceil(last_rank * 0.99)) AS above99
    FROM ranked
    GROUP BY period_start, provider, channel, code, category, outcome, carrier, country,
        campaign, sender
),
rollup_percentiles AS (
    SELECT period_start, provider, channel, code, category, outcome, carrier, country,
        campaign, sender,
        [
            CAST(below50 + (above50 - below50) * (last_rank * 0.5 - floor(last_rank * 0.5))
                AS DOUBLE),
            CAST(below90 + (above90 - below90) * (last_rank * 0.9 - floor(last_rank * 0.9))
                AS DOUBLE),
            CAST(below99 + (above99 - below99) * (last_rank * 0.99 - floor(last_rank * 0.99))
                AS DOUBLE)
        ] AS percentiles
    FROM rollup_ranks
),
-- From the messages: quantile_cont (one sort of each group's latencies for the three).
message_percentiles AS (
    SELECT period_start, provider, channel, code, category, outcome, carrier, country,
        campaign, sender, quantile_cont(latency_ms, [0.5, 0.9, 0.99]) AS percentiles
    FROM keyed
    WHERE NOT from_rollup
    GROUP BY ALL
),
-- A percentile's exact value has at most two decimals of a millisecond (its rank's fraction
-- has two): rounded to those first, a half millisecond is a clean tie that every engine
-- rounds up, whatever its last bits were.
final AS (
    SELECT * EXCLUDE (percentiles),
        CAST(round(round(percentiles[1], 2)) AS BIGINT) / 1000 AS latency_p50_s,
        CAST(round(round(percentiles[2], 2)) AS BIGINT) / 1000 AS latency_p90_s,
        CAST(round(round(percentiles[3], 2)) AS BIGINT) / 1000 AS latency_p99_s
    FROM (SELECT * FROM rollup_percentiles UNION ALL SELECT * FROM message_percentiles)
)
SELECT * FROM final
