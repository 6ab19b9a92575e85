-- The input of refresh_messages.sql when every message in the store is derived (the store
-- has no messages yet: its first ingest): slice getvariable('slice') of
-- getvariable('slices') of all of them, taken by the hash of the message's key. Listing
-- 10M keys to derive and joining every send and event to that list would cost a fifth of
-- a large first ingest; a slice here is a filter over sends and events.
-- Grain: writes TEMP tables affected_events (one row per event of the slice's messages)
--   and affected_sends (one row per message of the slice).
-- Parameters: getvariable('slices') (how many slices), getvariable('slice') (this slice's
--   number, from 0).

-- The slice's events, read once: the final status and the fallback fields both come from
-- here.
CREATE OR REPLACE TEMP TABLE affected_events AS
SELECT provider, message_id, channel, event_at, status_code, status_text, upstream_provider,
       upstream_code, carrier, sender, recipient, country, campaign, segments, status_word
FROM events
WHERE hash(provider, message_id) % getvariable('slices') = getvariable('slice');

-- The send side of each of the slice's messages: its send row, or NULLs for a message
-- that only has events.
CREATE OR REPLACE TEMP TABLE affected_sends AS
WITH slice_sends AS MATERIALIZED (
    SELECT provider, message_id, true AS has_send, channel, sent_at, sender, recipient,
           country, carrier, campaign, segments
    FROM sends
    WHERE hash(provider, message_id) % getvariable('slices') = getvariable('slice')
)
SELECT * FROM slice_sends
UNION ALL
SELECT provider, message_id, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT DISTINCT provider, message_id FROM affected_events) only_events
ANTI JOIN slice_sends USING (provider, message_id);
