-- Which stored counts can answer a count query: the hourly rollup, the daily rollup, or only
-- every message (deliverability/sql/schema.sql describes the rollups). message_cube.sql reads
-- the first that can; every other count is summed from the cube.
--   hourly_rollup_answers: nothing by carrier, country, campaign or sender is grouped or
--     filtered (rollup_code_hour has no such columns), the window is on whole hours, and
--     the buckets do not cut hours (a display zone at +05:30 does).
--   daily_rollup_answers: sender is not grouped, the buckets are not hours nor days of
--     another zone than UTC, and the window is on whole UTC days (rollup_dims_day has
--     carrier, country and campaign by UTC day).
--   latency_rollup_answers: as the daily rollup, and nothing by carrier, country,
--     campaign or sender is grouped or filtered (rollup_latency_day has none of them).
-- All take only parameters, so DuckDB folds them to constants and drops the branches not
-- taken before reading anything.
-- Grain: a boolean per call.
-- Parameters: by_place (carrier, country, campaign or sender is grouped), carriers,
--   countries, campaigns (filter lists), cuts_hours (the buckets split hours), finer (sender
--   is grouped, or the buckets are not UTC days or weeks), since, until (the window; NULL:
--   open).
CREATE OR REPLACE TEMP MACRO hourly_rollup_answers(
    by_place, carriers, countries, campaigns, since, until, cuts_hours
) AS
    NOT by_place AND NOT cuts_hours
    AND array_length(carriers) = 0 AND array_length(countries) = 0 AND array_length(campaigns) = 0
    AND (since IS NULL OR CAST(since AS TIMESTAMP) = date_trunc('hour', CAST(since AS TIMESTAMP)))
    AND (until IS NULL OR CAST(until AS TIMESTAMP) = date_trunc('hour', CAST(until AS TIMESTAMP)));
CREATE OR REPLACE TEMP MACRO daily_rollup_answers(finer, since, until) AS
    NOT finer
    AND (since IS NULL OR CAST(since AS TIMESTAMP) = date_trunc('day', CAST(since AS TIMESTAMP)))
    AND (until IS NULL OR CAST(until AS TIMESTAMP) = date_trunc('day', CAST(until AS TIMESTAMP)));
CREATE OR REPLACE TEMP MACRO latency_rollup_answers(
    by_place, carriers, countries, campaigns, finer, since, until
) AS
    NOT by_place
    AND array_length(carriers) = 0 AND array_length(countries) = 0 AND array_length(campaigns) = 0
    AND daily_rollup_answers(finer, since, until);
