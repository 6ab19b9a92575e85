-- Which files went in, when, and what became of their rows?
-- Grain: one row per ingested file (an ingests row), newest first.
-- Parameters: none.
SELECT ingest_id, file_name, kind, reader, provider, rows_read, loaded, duplicates, rejected,
       dated_by_receipt, dated_from, started_at, finished_at
FROM ingests
ORDER BY ingest_id DESC
