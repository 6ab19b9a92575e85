-- Record an alert rule as it was run, and how far into the data it has looked.
-- Grain: writes one row per rule name (into alert_rules), replacing the rule's earlier row.
-- Parameters: $rule (its name), $grain, $providers, $channels, $codes, $categories (its
--   filters, comma-separated; NULL: any), $min_count, $sustained (whether sustained rises
--   alert too), $destinations (labels, comma-separated), $checked_until (the data time its
--   next run tests from), $last_run_at, $last_sent, $last_failed (deliveries of that run).
INSERT OR REPLACE INTO alert_rules (
    rule, grain, providers, channels, codes, categories, min_count, sustained, destinations,
    checked_until, last_run_at, last_sent, last_failed
)
VALUES (
    $rule, $grain, $providers, $channels, $codes, $categories, $min_count, $sustained,
    $destinations, $checked_until, $last_run_at, $last_sent, $last_failed
)
