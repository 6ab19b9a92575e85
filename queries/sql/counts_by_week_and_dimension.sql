-- How many messages, with which outcome, per week and per value of each review dimension
-- on its own: code (with its provider, channel, category and outcome), carrier, country
-- and campaign? The weekly review compares its week, the week before and its baseline with
-- these (queries/review.py).
-- `dimension` says which grouping a row belongs to; the columns of the other dimensions
-- are NULL in it (a NULL carrier in a 'carrier' row is a message without a carrier).
-- Every message is counted once per dimension, so each dimension's rows of a week add up to
-- the week's messages.
-- Read from rollup_dims_day: [$since, $until) is whole days (whole weeks, in the review).
-- Grain: one row per (week, dimension, value) with messages: for 'code' the value is
--   (provider, channel, code, category, outcome); else the carrier, country or campaign.
-- Parameters: $since (first day, inclusive), $until (end day, exclusive); both midnights.
WITH days AS (
    SELECT * FROM rollup_dims_day WHERE day >= $since AND day < $until
),
counted AS (
    SELECT date_trunc('week', day) AS period_start,
           CASE WHEN grouping(code) = 0 THEN 'code'
                WHEN grouping(carrier) = 0 THEN 'carrier'
                WHEN grouping(country) = 0 THEN 'country'
                ELSE 'campaign' END AS dimension,
           provider, channel, code, category, outcome, carrier, country, campaign,
           outcome_counts(messages, outcome) AS counts
    FROM days
    GROUP BY GROUPING SETS (
        (date_trunc('week', day), provider, channel, code, category, outcome),
        (date_trunc('week', day), carrier),
        (date_trunc('week', day), country),
        (date_trunc('week', day), campaign)
    )
),
final AS (
    SELECT * EXCLUDE (counts), counts.* FROM counted
)
SELECT * FROM final
