-- Record one alert delivered to one destination (the alert ledger); every value is bound.
-- Grain: writes one row per delivery (into alert_deliveries).
-- Parameters: $alert_key, $destination, $destination_label, $rule, $kind, $is_update,
--   $in_digest, $period_start, $grain, $provider, $channel, $code, $dimension, $value,
--   $count, $messages, $rate, $baseline_rate, $ratio, $q_value, $title (the alert as sent,
--   see schema.sql), $sent_at (when it was delivered, UTC).
INSERT INTO alert_deliveries (
    alert_key, destination, destination_label, rule, kind, is_update, in_digest, period_start,
    grain, provider, channel, code, dimension, value, count, messages, rate, baseline_rate,
    ratio, q_value, title, sent_at
)
VALUES (
    $alert_key, $destination, $destination_label, $rule, $kind, $is_update, $in_digest,
    $period_start, $grain, $provider, $channel, $code, $dimension, $value, $count, $messages,
    $rate, $baseline_rate, $ratio, $q_value, $title, $sent_at
)
