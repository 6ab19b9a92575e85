-- Take back what earlier ingests of a file loaded, because the same file is being ingested
-- again with other options (a corrected --timezone, another --provider): its rows are
-- replaced, not added beside the old ones.
-- Messages left with no send and no event go; the others are listed in pending_refresh and
-- derived again with the rest of the ingest. The code keys per day are counted afresh.
-- Grain: deletes the listed ingests' rows from sends, events and quarantine, and the
--   messages left with nothing; writes TEMP table touched_hours (one row per hour whose
--   rollups rollups.sql must re-count) and pending_refresh (one row per message to derive).
-- Parameters: TEMP table retracted_ingests(ingest_id).

CREATE OR REPLACE TEMP TABLE retracted_keys AS
SELECT provider, message_id FROM sends SEMI JOIN retracted_ingests USING (ingest_id)
UNION
SELECT provider, message_id FROM events SEMI JOIN retracted_ingests USING (ingest_id);

DELETE FROM sends WHERE ingest_id IN (SELECT ingest_id FROM retracted_ingests);
DELETE FROM events WHERE ingest_id IN (SELECT ingest_id FROM retracted_ingests);
DELETE FROM quarantine WHERE ingest_id IN (SELECT ingest_id FROM retracted_ingests);

CREATE OR REPLACE TEMP TABLE remaining_keys AS
SELECT provider, message_id FROM retracted_keys SEMI JOIN sends USING (provider, message_id)
UNION
SELECT provider, message_id FROM retracted_keys SEMI JOIN events USING (provider, message_id);

CREATE OR REPLACE TEMP TABLE touched_hours AS
SELECT DISTINCT date_trunc('hour', message_at) AS hour
FROM messages SEMI JOIN retracted_keys USING (provider, message_id)
WHERE message_at IS NOT NULL;

DELETE FROM messages m
WHERE EXISTS (
    SELECT 1 FROM retracted_keys k WHERE k.provider = m.provider AND k.message_id = m.message_id
) AND NOT EXISTS (
    SELECT 1 FROM remaining_keys r WHERE r.provider = m.provider AND r.message_id = m.message_id
);

INSERT INTO pending_refresh SELECT provider, message_id FROM remaining_keys;

DELETE FROM event_code_days;
INSERT INTO event_code_days
SELECT date_trunc('day', event_at), provider, channel, status_code, upstream_provider,
       upstream_code, count(*)
FROM events GROUP BY ALL;

DROP TABLE retracted_keys;
DROP TABLE remaining_keys;
