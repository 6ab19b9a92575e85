-- Which rows were rejected, from which file and line, and why?
SELECT q.file_name, q.line, q.reason, q.raw, q.ingest_id
FROM quarantine q
WHERE ($ingest_id IS NULL OR q.ingest_id = $ingest_id)
ORDER BY q.ingest_id DESC, q.line
LIMIT $limit
