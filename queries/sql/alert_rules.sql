-- Which alert rules have run, what do they watch, where do they send, which ingests have
-- they seen, and where does an undelivered alert wait? As `deliverability alert` last ran
-- each (destinations as labels, no secrets).
-- Grain: one row per rule name, by name.
-- Parameters: none.
WITH rules AS (
    SELECT * FROM alert_rules
),

final AS (
    SELECT rule, grain, providers, channels, codes, categories, min_count, sustained,
           destinations, checked_until, last_run_at, last_sent, last_failed,
           checked_ingest, checked_ingest_at, retry_from
    FROM rules
)

SELECT * FROM final ORDER BY rule
