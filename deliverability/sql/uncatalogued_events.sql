-- Add to uncatalogued_events the events of TEMP view events_to_check (an ingest's new
-- events, or every event when the catalog changed) whose code key the catalog does not know.
-- TEMP table keys_to_check holds their code keys (from event_code_days, or the rows an
-- ingest adds to it: never a pass over the events), maybe more than once.
-- A key is known when the provider's code is catalogued for its channel or for every
-- channel ('*'), or when the upstream network's code is (Chirp on Telnyx). The catalog is
-- checked once per distinct key, not once per event.
-- Grain: writes one row per event of events_to_check whose code key the catalog does not
--   know, into uncatalogued_events.
-- Parameters: TEMP view events_to_check (the events to check), TEMP table or view
--   keys_to_check (their code keys).
CREATE OR REPLACE TEMP TABLE unknown_keys AS
SELECT * FROM (
    SELECT DISTINCT provider, channel, status_code, upstream_provider, upstream_code
    FROM keys_to_check
) k
WHERE NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = k.provider AND c.code = k.status_code
      AND c.channel IN (k.channel, '*')
)
AND NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = k.upstream_provider AND c.code = k.upstream_code
      AND c.channel IN (k.channel, '*')
);

INSERT INTO uncatalogued_events
SELECT e.provider, e.message_id, e.channel, e.event_at, e.status_code, e.status_text,
       e.upstream_provider, e.upstream_code
-- Narrowing by status_code first: the other columns are read only for those events.
FROM (
    SELECT * FROM events_to_check WHERE status_code IN (SELECT status_code FROM unknown_keys)
) e
SEMI JOIN unknown_keys u
    ON u.provider = e.provider
    AND u.channel IS NOT DISTINCT FROM e.channel
    AND u.status_code = e.status_code
    AND u.upstream_provider IS NOT DISTINCT FROM e.upstream_provider
    AND u.upstream_code IS NOT DISTINCT FROM e.upstream_code;

DROP TABLE unknown_keys;
