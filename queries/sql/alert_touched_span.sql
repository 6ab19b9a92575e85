-- Which message times did the ingests after a rule's last run bring or change? Their buckets
-- are the ones the rule tests again: late delivery reports and backfilled exports included,
-- however old their messages are.
-- Grain: one row: first_at, last_at (message_at of the earliest and latest message those
--   ingests touched, UTC; NULL when they touched none).
-- Parameters: $after_id (ingests with a higher id are newer), $after_at (or that finished
--   later: an id taken back and given again is still seen).
WITH newer AS (
    SELECT ingest_id FROM ingests
    WHERE ingest_id > $after_id OR finished_at > $after_at::TIMESTAMP
),

touched AS (
    SELECT provider, message_id FROM sends WHERE ingest_id IN (SELECT ingest_id FROM newer)
    UNION
    SELECT provider, message_id FROM events WHERE ingest_id IN (SELECT ingest_id FROM newer)
),

final AS (
    SELECT min(m.message_at) AS first_at, max(m.message_at) AS last_at
    FROM messages AS m
    INNER JOIN touched AS t ON m.provider = t.provider AND m.message_id = t.message_id
)

SELECT * FROM final
