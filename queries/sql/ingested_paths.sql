-- Which files, by the path they were read from, does the store hold, and since when? `watch`
-- leaves a file unchanged since its ingest began without reading it again.
-- Grain: one row per path with an ingest not replaced since, with its latest start (UTC).
-- Parameters: none.
WITH ledger AS (
    SELECT path, started_at FROM ingests
    WHERE replaced_by IS NULL AND path IS NOT NULL
),

final AS (
    SELECT path, max(started_at) AS started_at FROM ledger GROUP BY path
)

SELECT * FROM final ORDER BY path
