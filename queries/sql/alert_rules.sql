-- Which alert rules have run, what do they watch, where do they send, how far have they
-- looked? As `deliverability alert` last ran each (destinations as labels, no secrets).
-- Grain: one row per rule name, by name.
-- Parameters: none.
WITH rules AS (
    SELECT * FROM alert_rules
),

final AS (
    SELECT rule, grain, providers, channels, codes, categories, min_count, sustained,
           destinations, checked_until, last_run_at, last_sent, last_failed
    FROM rules
)

SELECT * FROM final ORDER BY rule
