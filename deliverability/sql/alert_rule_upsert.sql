-- Record an alert rule as it was run, and which ingests it has seen.
-- Grain: writes one row per rule name (into alert_rules), replacing the rule's earlier row.
-- Parameters: $rule (its name), $grain, $providers, $channels, $codes, $categories (its
--   filters, comma-separated; NULL: any), $min_count, $sustained (whether sustained rises
--   alert too), $destinations (labels, comma-separated), $checked_until (the newest message
--   time it saw), $last_run_at, $last_sent, $last_failed (deliveries of that run),
--   $checked_ingest, $checked_ingest_at (the newest ingest it saw: id and finish time),
--   $retry_from (the first bucket of an alert that did not go; NULL: none).
INSERT OR REPLACE INTO alert_rules (
    rule, grain, providers, channels, codes, categories, min_count, sustained, destinations,
    checked_until, last_run_at, last_sent, last_failed, checked_ingest, checked_ingest_at,
    retry_from
)
VALUES (
    $rule, $grain, $providers, $channels, $codes, $categories, $min_count, $sustained,
    $destinations, $checked_until, $last_run_at, $last_sent, $last_failed, $checked_ingest,
    $checked_ingest_at, $retry_from
)
