-- What has each destination already been sent? The send-once rule reads this: an alert goes
-- to a destination without a row here, and again (as an update) only when it has grown
-- markedly since the count it was last sent with.
-- Grain: one row per (alert_key, destination) ever delivered, with its latest delivery.
-- Parameters: $keys (the alert keys asked about; an empty list: every key).
WITH deliveries AS (
    SELECT alert_key, destination, count, sent_at FROM alert_deliveries
),

asked AS (
    SELECT * FROM deliveries
    WHERE len($keys::VARCHAR[]) = 0 OR list_contains($keys::VARCHAR[], alert_key)
),

final AS (
    SELECT alert_key, destination,
           arg_max(count, sent_at) AS count, max(sent_at) AS sent_at,
           count(*) AS deliveries
    FROM asked
    GROUP BY alert_key, destination
)

SELECT * FROM final ORDER BY alert_key, destination
