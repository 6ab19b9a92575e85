-- Which is the newest ingest? An alert rule remembers it, to tell the next run which ingests
-- came after.
-- Grain: one row: ingest_id (the highest; NULL in an empty store), finished_at (the latest).
-- Parameters: none.
WITH files AS (
    SELECT ingest_id, finished_at FROM ingests
),

final AS (
    SELECT max(ingest_id) AS ingest_id, max(finished_at) AS finished_at FROM files
)

SELECT * FROM final
