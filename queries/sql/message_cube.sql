-- How many messages, with which outcome, per time bucket and per combination of the chosen
-- dimensions? The cube every comparison, breakdown and spike test starts from.
-- $grain is 'hour', 'day' or 'week' (NULL: one bucket for the whole window, period_start
-- NULL). Every $by_* flag is bound: a dimension not asked for collapses to NULL, so one
-- static query serves every shape. `code` keeps its provider and channel (codes mean
-- different things per provider) and carries its category and outcome.
SELECT
    CASE WHEN $grain IS NOT NULL THEN date_trunc($grain, message_at) END AS period_start,
    CASE WHEN $by_provider OR $by_code THEN provider END AS provider,
    CASE WHEN $by_channel OR $by_code THEN channel END AS channel,
    CASE WHEN $by_code THEN code END AS code,
    CASE WHEN $by_category OR $by_code THEN category END AS category,
    CASE WHEN $by_outcome OR $by_code THEN outcome END AS outcome,
    CASE WHEN $by_carrier THEN carrier END AS carrier,
    CASE WHEN $by_country THEN country END AS country,
    CASE WHEN $by_campaign THEN campaign END AS campaign,
    CASE WHEN $by_sender THEN sender END AS sender,
    count(*) AS messages,
    count(*) FILTER (WHERE outcome = 'delivered') AS delivered,
    count(*) FILTER (WHERE outcome = 'failed') AS failed,
    count(*) FILTER (WHERE outcome = 'pending') AS pending,
    count(*) FILTER (WHERE outcome = 'unconfirmed') AS unconfirmed,
    count(*) FILTER (WHERE outcome = 'no_report') AS no_report,
    count(*) FILTER (WHERE outcome = 'unknown') AS unknown
FROM filtered_messages(
    $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories, $codes
)
GROUP BY ALL
