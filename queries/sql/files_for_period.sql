-- Which files brought data for a period, and how many of its rows? A file counts for the
-- week its sends and reports are dated in, not the day it was ingested (a weekly export
-- ingested on Monday belongs to the week before).
-- Grain: one row per file (ingest, not replaced) with sends or events dated in the period.
-- Parameters: $since, $until (the period: inclusive and exclusive bounds on sent_at and
--   event_at).
WITH rows_in_period AS (
    SELECT ingest_id, count(*) AS rows FROM sends
    WHERE sent_at >= $since AND sent_at < $until
    GROUP BY ingest_id
    UNION ALL
    SELECT ingest_id, count(*) AS rows FROM events
    WHERE event_at >= $since AND event_at < $until
    GROUP BY ingest_id
),
final AS (
    SELECT r.ingest_id, sum(r.rows) AS rows, i.rows_read, i.rejected
    FROM rows_in_period r
    JOIN ingests i ON i.ingest_id = r.ingest_id
    WHERE i.replaced_by IS NULL
    GROUP BY r.ingest_id, i.rows_read, i.rejected
)
SELECT * FROM final ORDER BY ingest_id
