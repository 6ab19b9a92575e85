-- Rows rejected from the files $ingest_ids (NULL: every file), by the kind of reason (its
-- first two words: the rest quotes the file's value), with how many files they came from.
-- Grain: one row per kind of reason (the reason's first two words).
-- Parameters: $ingest_ids (a list of ingest ids; NULL: every file not replaced).
SELECT regexp_extract(q.reason, '^[^ ]*( [^ ]*)?', 0) AS reason,
       count(*) AS rows,
       count(DISTINCT q.ingest_id) AS files
FROM quarantine q
JOIN ingests i ON i.ingest_id = q.ingest_id
WHERE i.replaced_by IS NULL
  AND ($ingest_ids IS NULL OR list_contains(CAST($ingest_ids AS INTEGER[]), q.ingest_id))
GROUP BY ALL
ORDER BY rows DESC, reason
