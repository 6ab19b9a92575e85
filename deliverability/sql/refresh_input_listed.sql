-- The input of refresh_messages.sql for the messages listed in TEMP table
-- affected(provider, message_id), each once: their events and their send side.
-- Grain: writes TEMP tables affected_events (one row per event of a listed message) and
--   affected_sends (one row per listed message).
-- Parameters: TEMP table affected(provider, message_id) (the messages to derive).

-- Their events, read once: the final status and the fallback fields both come from here.
CREATE OR REPLACE TEMP TABLE affected_events AS
SELECT e.provider, e.message_id, e.channel, e.event_at, e.status_code, e.status_text,
       e.upstream_provider, e.upstream_code, e.carrier, e.sender, e.recipient, e.country,
       e.campaign, e.segments, e.status_word
FROM events e SEMI JOIN affected a USING (provider, message_id);

-- The send side of each listed message (NULLs when it has no send row).
CREATE OR REPLACE TEMP TABLE affected_sends AS
SELECT a.provider, a.message_id, s.message_id IS NOT NULL AS has_send, s.channel, s.sent_at,
       s.sender, s.recipient, s.country, s.carrier, s.campaign, s.segments
FROM affected a
LEFT JOIN sends s ON s.provider = a.provider AND s.message_id = a.message_id;
