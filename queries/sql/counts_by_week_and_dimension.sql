-- How many messages, with which outcome, per week and per value of each review dimension
-- on its own: code (with its provider, channel, category and outcome), carrier, country
-- and campaign? The weekly review compares its week, the week before and its baseline with
-- these (queries/review.py).
-- `dimension` says which grouping a row belongs to; the columns of the other dimensions
-- are NULL in it (a NULL carrier in a 'carrier' row is a message without a carrier).
-- Every message is counted once per dimension, so each dimension's rows of a week add up to
-- the week's messages.
-- Read from rollup_dims_day: [$since, $until) is whole days (whole weeks, in the review).
SELECT date_trunc('week', day) AS period_start,
       CASE WHEN grouping(code) = 0 THEN 'code'
            WHEN grouping(carrier) = 0 THEN 'carrier'
            WHEN grouping(country) = 0 THEN 'country'
            ELSE 'campaign' END AS dimension,
       provider, channel, code, category, outcome, carrier, country, campaign,
       CAST(sum(messages) AS BIGINT) AS messages,
       CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'delivered'), 0) AS BIGINT) AS delivered,
       CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'failed'), 0) AS BIGINT) AS failed,
       CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'pending'), 0) AS BIGINT) AS pending,
       CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'unconfirmed'), 0) AS BIGINT) AS unconfirmed,
       CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'no_report'), 0) AS BIGINT) AS no_report,
       CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'unknown'), 0) AS BIGINT) AS unknown
FROM rollup_dims_day
WHERE day >= $since AND day < $until
GROUP BY GROUPING SETS (
    (date_trunc('week', day), provider, channel, code, category, outcome),
    (date_trunc('week', day), carrier),
    (date_trunc('week', day), country),
    (date_trunc('week', day), campaign)
)
