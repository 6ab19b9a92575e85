-- Which rows were rejected, from which file and line, and why?
-- Grain: one row per rejected row (a quarantine row), at most $limit.
-- Parameters: $ingest_id (one file's ingest; NULL: every file), $limit (how many rows at
--   most).
SELECT q.file_name, q.line, q.reason, q.raw, q.ingest_id
FROM quarantine q
WHERE ($ingest_id IS NULL OR q.ingest_id = $ingest_id)
ORDER BY q.ingest_id DESC, q.line
LIMIT $limit
