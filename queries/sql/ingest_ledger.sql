-- Which files went in, when, and what became of their rows?
-- A file ingested again with other options replaced its earlier rows: the earlier ingest
-- stays listed, with replaced_by naming the ingest that replaced it.
-- Grain: one row per ingested file (an ingests row), newest first.
-- Parameters: none.
SELECT ingest_id, file_name, kind, reader, provider, rows_read, loaded, duplicates, rejected,
       dated_by_receipt, dated_from, started_at, finished_at, replaced_by
FROM ingests
ORDER BY ingest_id DESC
