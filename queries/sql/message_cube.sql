-- How many messages, with which outcome, per time bucket and per combination of the chosen
-- dimensions? The cube every comparison, breakdown and spike test starts from.
-- $grain is 'hour', 'day' or 'week' (NULL: one bucket for the whole window, period_start
-- NULL), cut in the display zone $zone (period_start is its wall-clock time). Every
-- $by_* flag is bound: a dimension not asked for collapses to NULL, so one
-- static query serves every shape. `code` keeps its provider and channel (codes mean
-- different things per provider) and carries its category and outcome.
--
-- The counts come from the smallest source that can answer: rollup_code_hour, else
-- rollup_dims_day, else every message, as queries/sql/rollup_choice.sql decides. Its
-- macros take only parameters, so DuckDB drops the branches not taken before reading.
-- Grain: one row per (period_start, combination of the flagged dimensions) with messages;
--   dimensions not flagged are NULL.
-- Parameters: $grain ('hour', 'day' or 'week'; NULL: one bucket), $by_provider,
--   $by_channel, $by_code, $by_category, $by_outcome, $by_carrier, $by_country,
--   $by_campaign, $by_sender (booleans: group by that dimension), $since, $until (the
--   message_at window, inclusive and exclusive; NULL: open), $providers, $channels,
--   $carriers, $countries, $campaigns, $categories, $codes (filter lists; empty: any),
--   $zone (the display time zone), $zone_on_hours (its offset is whole hours: the hourly
--   rollup can be cut at its midnights).
WITH src AS (
    SELECT hour AS message_at, provider, channel, code, category, outcome,
           NULL::VARCHAR AS carrier, NULL::VARCHAR AS country, NULL::VARCHAR AS campaign,
           NULL::VARCHAR AS sender, messages
    FROM rollup_code_hour
    WHERE hourly_rollup_answers(
        $by_carrier OR $by_country OR $by_campaign OR $by_sender, $carriers, $countries,
        $campaigns, $since, $until, $grain IS NOT NULL AND NOT $zone_on_hours
    )
      AND ($since IS NULL OR hour >= $since) AND ($until IS NULL OR hour < $until)
      AND (array_length($providers) = 0 OR list_contains($providers, provider))
      AND (array_length($channels) = 0 OR list_contains($channels, channel))
      AND (array_length($categories) = 0 OR list_contains($categories, category))
      AND (array_length($codes) = 0 OR list_contains($codes, code))
    UNION ALL
    SELECT day, provider, channel, code, category, outcome, carrier, country, campaign,
           NULL::VARCHAR, messages
    FROM rollup_dims_day
    WHERE NOT hourly_rollup_answers(
        $by_carrier OR $by_country OR $by_campaign OR $by_sender, $carriers, $countries,
        $campaigns, $since, $until, $grain IS NOT NULL AND NOT $zone_on_hours
    )
      AND daily_rollup_answers(
        $by_sender OR $grain IS NOT DISTINCT FROM 'hour'
            OR ($grain IS NOT NULL AND $zone <> 'UTC'),
        $since, $until
    )
      AND ($since IS NULL OR day >= $since) AND ($until IS NULL OR day < $until)
      AND (array_length($providers) = 0 OR list_contains($providers, provider))
      AND (array_length($channels) = 0 OR list_contains($channels, channel))
      AND (array_length($carriers) = 0 OR list_contains($carriers, carrier))
      AND (array_length($countries) = 0 OR list_contains($countries, country))
      AND (array_length($campaigns) = 0 OR list_contains($campaigns, campaign))
      AND (array_length($categories) = 0 OR list_contains($categories, category))
      AND (array_length($codes) = 0 OR list_contains($codes, code))
    UNION ALL
    SELECT message_at, provider, channel, code, category, outcome, carrier, country,
           campaign, sender, 1 AS messages
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    )
    WHERE NOT hourly_rollup_answers(
        $by_carrier OR $by_country OR $by_campaign OR $by_sender, $carriers, $countries,
        $campaigns, $since, $until, $grain IS NOT NULL AND NOT $zone_on_hours
    )
      AND NOT daily_rollup_answers(
        $by_sender OR $grain IS NOT DISTINCT FROM 'hour'
            OR ($grain IS NOT NULL AND $zone <> 'UTC'),
        $since, $until
    )
),
counted AS (
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
        outcome_counts(messages, outcome) AS counts
    FROM src
    GROUP BY ALL
),
final AS (
    SELECT * EXCLUDE (counts), counts.* FROM counted
)
SELECT * FROM final
