-- How many messages, and with which outcome, for each combination of the chosen dimensions?
-- Every $by_* flag is bound: a dimension not asked for collapses to NULL, so one static
-- query serves every --by. `code` keeps its provider and channel (codes mean different
-- things per provider) and its category and outcome.
--
-- The counts come from the smallest source that can answer (deliverability/sql/schema.sql):
-- rollup_code_hour when neither carrier, country, campaign nor sender is grouped or
-- filtered and the window is on whole hours; else rollup_dims_day when sender and hour are
-- not asked for and the window is on whole days; else every message. The conditions only
-- involve parameters, so DuckDB drops the branches not taken before reading anything.
WITH src AS (
    SELECT hour AS message_at, provider, channel, code, category, outcome,
           NULL::VARCHAR AS carrier, NULL::VARCHAR AS country, NULL::VARCHAR AS campaign,
           NULL::VARCHAR AS sender, messages
    FROM rollup_code_hour
    WHERE NOT ($by_carrier OR $by_country OR $by_campaign OR $by_sender)
      AND len($carriers) = 0 AND len($countries) = 0 AND len($campaigns) = 0
      AND ($since IS NULL OR CAST($since AS TIMESTAMP) = date_trunc('hour', CAST($since AS TIMESTAMP)))
      AND ($until IS NULL OR CAST($until AS TIMESTAMP) = date_trunc('hour', CAST($until AS TIMESTAMP)))
      AND ($since IS NULL OR hour >= $since) AND ($until IS NULL OR hour < $until)
      AND (len($providers) = 0 OR list_contains($providers, provider))
      AND (len($channels) = 0 OR list_contains($channels, channel))
      AND (len($categories) = 0 OR list_contains($categories, category))
      AND (len($codes) = 0 OR list_contains($codes, code))
    UNION ALL
    SELECT day, provider, channel, code, category, outcome, carrier, country, campaign,
           NULL::VARCHAR, messages
    FROM rollup_dims_day
    WHERE NOT (NOT ($by_carrier OR $by_country OR $by_campaign OR $by_sender)
               AND len($carriers) = 0 AND len($countries) = 0 AND len($campaigns) = 0
               AND ($since IS NULL OR CAST($since AS TIMESTAMP) = date_trunc('hour', CAST($since AS TIMESTAMP)))
               AND ($until IS NULL OR CAST($until AS TIMESTAMP) = date_trunc('hour', CAST($until AS TIMESTAMP))))
      AND NOT ($by_sender OR $by_hour)
      AND ($since IS NULL OR CAST($since AS TIMESTAMP) = date_trunc('day', CAST($since AS TIMESTAMP)))
      AND ($until IS NULL OR CAST($until AS TIMESTAMP) = date_trunc('day', CAST($until AS TIMESTAMP)))
      AND ($since IS NULL OR day >= $since) AND ($until IS NULL OR day < $until)
      AND (len($providers) = 0 OR list_contains($providers, provider))
      AND (len($channels) = 0 OR list_contains($channels, channel))
      AND (len($carriers) = 0 OR list_contains($carriers, carrier))
      AND (len($countries) = 0 OR list_contains($countries, country))
      AND (len($campaigns) = 0 OR list_contains($campaigns, campaign))
      AND (len($categories) = 0 OR list_contains($categories, category))
      AND (len($codes) = 0 OR list_contains($codes, code))
    UNION ALL
    SELECT message_at, provider, channel, code, category, outcome, carrier, country,
           campaign, sender, 1 AS messages
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    )
    WHERE NOT (NOT ($by_carrier OR $by_country OR $by_campaign OR $by_sender)
               AND len($carriers) = 0 AND len($countries) = 0 AND len($campaigns) = 0
               AND ($since IS NULL OR CAST($since AS TIMESTAMP) = date_trunc('hour', CAST($since AS TIMESTAMP)))
               AND ($until IS NULL OR CAST($until AS TIMESTAMP) = date_trunc('hour', CAST($until AS TIMESTAMP))))
      AND NOT (NOT ($by_sender OR $by_hour)
               AND ($since IS NULL OR CAST($since AS TIMESTAMP) = date_trunc('day', CAST($since AS TIMESTAMP)))
               AND ($until IS NULL OR CAST($until AS TIMESTAMP) = date_trunc('day', CAST($until AS TIMESTAMP))))
)
SELECT
    CASE WHEN $by_provider OR $by_code THEN provider END AS provider,
    CASE WHEN $by_channel OR $by_code THEN channel END AS channel,
    CASE WHEN $by_code THEN code END AS code,
    CASE WHEN $by_category OR $by_code THEN category END AS category,
    CASE WHEN $by_outcome OR $by_code THEN outcome END AS outcome,
    CASE WHEN $by_carrier THEN carrier END AS carrier,
    CASE WHEN $by_country THEN country END AS country,
    CASE WHEN $by_campaign THEN campaign END AS campaign,
    CASE WHEN $by_sender THEN sender END AS sender,
    CASE WHEN $by_day THEN date_trunc('day', message_at) END AS day,
    CASE WHEN $by_week THEN date_trunc('week', message_at) END AS week,
    CASE WHEN $by_hour THEN date_trunc('hour', message_at) END AS hour,
    CAST(sum(messages) AS BIGINT) AS messages,
    CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'delivered'), 0) AS BIGINT) AS delivered,
    CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'failed'), 0) AS BIGINT) AS failed,
    CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'pending'), 0) AS BIGINT) AS pending,
    CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'unconfirmed'), 0) AS BIGINT) AS unconfirmed,
    CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'no_report'), 0) AS BIGINT) AS no_report,
    CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'unknown'), 0) AS BIGINT) AS unknown
FROM src
GROUP BY ALL
