-- A message's delivery latency as every view counts it: milliseconds from send to final
-- report, exact below one second and rounded to three significant figures above (1234 ms
-- counts as 1230, 98765 ms as 98800: within 0.5%). Rounded so that latencies can be rolled up
-- (rollup_latency_day, rollups.sql) and their percentiles read from the rollup, and the
-- same whichever of the rollup or the messages answers (queries/sql/latency_quantiles.sql).
-- Created on every store connection (deliverability/store.py), inlined on the lake's engine
-- (deliverability/lake/engines.py) and by the queries (queries/runner.py).
-- Grain: scalar macros, one value per call (creates them; writes no rows).
-- Parameters: latency_bucket(ms), ms a whole number of milliseconds (0 or more);
--   latency_ms(has_send, sent_at, final_at, outcome), a message's columns: its latency in
--   whole milliseconds, NULL unless it has a send time and a final report (delivered,
--   failed or unconfirmed) at or after it.

CREATE OR REPLACE TEMP MACRO latency_bucket(ms) AS CAST(
    CASE
        WHEN ms < 1000 THEN ms
        WHEN ms < 10000 THEN round(ms / 10) * 10
        WHEN ms < 100000 THEN round(ms / 100) * 100
        WHEN ms < 1000000 THEN round(ms / 1000) * 1000
        WHEN ms < 10000000 THEN round(ms / 10000) * 10000
        WHEN ms < 100000000 THEN round(ms / 100000) * 100000
        WHEN ms < 1000000000 THEN round(ms / 1000000) * 1000000
        WHEN ms < 10000000000 THEN round(ms / 10000000) * 10000000
        WHEN ms < 100000000000 THEN round(ms / 100000000) * 100000000
        -- 1e12 ms is 31 years: more than any plausible time (before 2000 or over two years
        -- ahead is rejected at ingest) leaves between a send and its report.
        ELSE round(ms / 1000000000) * 1000000000
    END AS BIGINT
);

-- Before rounding: call latency_bucket on a column holding this, not on this call (a macro
-- repeats its argument, and the CASE above would compute it ten times over).
CREATE OR REPLACE TEMP MACRO latency_ms(has_send, sent_at, final_at, outcome) AS
    CASE
        WHEN has_send AND sent_at IS NOT NULL AND final_at IS NOT NULL AND final_at >= sent_at
             AND outcome IN ('delivered', 'failed', 'unconfirmed')
            THEN (epoch_us(final_at) - epoch_us(sent_at)) // 1000
    END;
