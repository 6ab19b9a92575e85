-- Take back what earlier ingests of a file loaded, because the same file is being ingested
-- again with other options (a corrected --timezone, another --provider): its rows are
-- replaced, not added beside the old ones.
-- Messages left with no send and no event go; the others are listed in pending_refresh and
-- derived again with the rest of the ingest. The code keys per day the retracted events
-- counted in are counted again, and their copies among the uncatalogued events go.
-- Grain: deletes the listed ingests' rows from sends, events, quarantine and
--   uncatalogued_events, the messages left with nothing and every row fingerprint
--   (row_fingerprints); re-counts their
--   event_code_days rows; writes TEMP table touched_hours (one row per hour whose rollups
--   rollups.sql must re-count) and pending_refresh (one row per message to derive).
-- Parameters: TEMP table retracted_ingests(ingest_id).

CREATE OR REPLACE TEMP TABLE retracted_events AS
SELECT provider, message_id, channel, event_at, status_code, upstream_provider, upstream_code
FROM events SEMI JOIN retracted_ingests USING (ingest_id);

CREATE OR REPLACE TEMP TABLE retracted_keys AS
SELECT provider, message_id FROM sends SEMI JOIN retracted_ingests USING (ingest_id)
UNION
SELECT provider, message_id FROM retracted_events;

CREATE OR REPLACE TEMP TABLE retracted_code_days AS
SELECT DISTINCT date_trunc('day', event_at) AS day, provider, channel, status_code,
       upstream_provider, upstream_code
FROM retracted_events;

DELETE FROM uncatalogued_events u
WHERE EXISTS (
    SELECT 1 FROM retracted_events r
    WHERE r.provider = u.provider AND r.message_id = u.message_id AND r.event_at = u.event_at
      AND r.status_code IS NOT DISTINCT FROM u.status_code
);

-- A listed fingerprint promises that its row's sends and events are stored: with rows
-- taken back, that no longer holds for every one, and re-typing a re-export is the safe way.
DELETE FROM row_fingerprints;
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

DELETE FROM event_code_days d
WHERE EXISTS (
    SELECT 1 FROM retracted_code_days r
    WHERE r.day = d.day AND r.provider = d.provider
      AND r.channel IS NOT DISTINCT FROM d.channel
      AND r.status_code IS NOT DISTINCT FROM d.status_code
      AND r.upstream_provider IS NOT DISTINCT FROM d.upstream_provider
      AND r.upstream_code IS NOT DISTINCT FROM d.upstream_code
);

INSERT INTO event_code_days
SELECT date_trunc('day', e.event_at), e.provider, e.channel, e.status_code,
       e.upstream_provider, e.upstream_code, count(*)
FROM events e
SEMI JOIN retracted_code_days r
    ON r.day = date_trunc('day', e.event_at) AND r.provider = e.provider
   AND r.channel IS NOT DISTINCT FROM e.channel
   AND r.status_code IS NOT DISTINCT FROM e.status_code
   AND r.upstream_provider IS NOT DISTINCT FROM e.upstream_provider
   AND r.upstream_code IS NOT DISTINCT FROM e.upstream_code
GROUP BY ALL;

DROP TABLE retracted_events;
DROP TABLE retracted_keys;
DROP TABLE remaining_keys;
DROP TABLE retracted_code_days;
