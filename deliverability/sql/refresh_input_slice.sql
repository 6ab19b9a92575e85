-- The input of refresh_messages.sql when every message in the store is derived (the store
-- has no messages yet: its first ingest): slice getvariable('slice') of
-- getvariable('slices') of all of them, taken by the hash of the message's key. Listing
-- 10M keys to derive and joining every send and event to that list would cost a fifth of
-- a large first ingest; a slice here is a filter over sends and events. The sends and
-- events are read where they are stored (views), not copied: a copy of every row would
-- cost more than the scans it saves.
-- Grain: writes TEMP views affected_events (one row per event of the slice's messages)
--   and affected_sends (one row per message of the slice), and TEMP table event_only (one
--   row per message of the slice with events and no send).
-- Parameters: getvariable('slices') (how many slices), getvariable('slice') (this slice's
--   number, from 0).

CREATE OR REPLACE TEMP VIEW affected_events AS
SELECT provider, message_id, channel, event_at, status_code, status_text, upstream_provider,
       upstream_code, carrier, sender, recipient, country, campaign, segments, status_word
FROM events
WHERE hash(provider, message_id) % getvariable('slices') = getvariable('slice');

-- The messages with delivery reports and no send row: few, and read by two statements.
CREATE OR REPLACE TEMP TABLE event_only AS
SELECT DISTINCT provider, message_id FROM affected_events
ANTI JOIN sends USING (provider, message_id);

-- The send side of each of the slice's messages: its send row, or NULLs for a message
-- that only has events.
CREATE OR REPLACE TEMP VIEW affected_sends AS
SELECT provider, message_id, true AS has_send, channel, sent_at, sender, recipient, country,
       carrier, campaign, segments
FROM sends
WHERE hash(provider, message_id) % getvariable('slices') = getvariable('slice')
UNION ALL
SELECT provider, message_id, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM event_only;
