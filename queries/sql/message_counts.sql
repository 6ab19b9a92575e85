-- How many messages, and with which outcome, for each combination of the chosen dimensions?
-- Every $by_* flag is bound: a dimension not asked for collapses to NULL, so one static
-- query serves every --by. `code` keeps its provider and channel (codes mean different
-- things per provider) and its category and outcome.
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
