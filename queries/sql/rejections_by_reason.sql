-- Rows rejected from files ingested in [$since, $until) (NULL bounds: every file), by the
-- kind of reason (its first two words: the rest quotes the file's value), with how many
-- files they came from.
-- Grain: one row per kind of reason (the reason's first two words).
-- Parameters: $since, $until (bounds on the file's ingest start, started_at, inclusive and
--   exclusive; NULL: open).
SELECT array_to_string(list_slice(string_split(q.reason, ' '), 1, 2), ' ') AS reason,
       count(*) AS rows,
       count(DISTINCT q.ingest_id) AS files
FROM quarantine q
JOIN ingests i ON i.ingest_id = q.ingest_id
WHERE ($since IS NULL OR i.started_at >= $since)
  AND ($until IS NULL OR i.started_at < $until)
GROUP BY ALL
ORDER BY rows DESC, reason
