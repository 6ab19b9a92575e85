-- Write the messages refresh_messages.sql derived (TEMP view derived_rows) into a store that
-- holds some of them already. Writing rows is what a large ingest pays for, so messages
-- that exist are UPDATEd in place (cheaper than DELETE + INSERT, and the file does not grow
-- by a dead copy of every message); the rest are inserted.
-- Grain: writes TEMP table derived (derived_rows, computed once), one row per derived
--   message into messages, and TEMP table touched_hours (one row per hour to re-count,
--   before and after).
-- Parameters: TEMP view derived_rows.

CREATE OR REPLACE TEMP TABLE derived AS SELECT * FROM derived_rows;

UPDATE messages m SET
    channel = d.channel, message_at = d.message_at, sent_at = d.sent_at,
    has_send = d.has_send, event_count = d.event_count, sender = d.sender,
    recipient = d.recipient, country = d.country, carrier = d.carrier, campaign = d.campaign,
    segments = d.segments, code = d.code, upstream_code = d.upstream_code,
    status_text = d.status_text, final_at = d.final_at, outcome = d.outcome,
    category = d.category
FROM derived d
WHERE d.known AND d.provider = m.provider AND d.message_id = m.message_id;

INSERT INTO messages
SELECT provider, message_id, channel, message_at, sent_at, has_send, event_count, sender,
       recipient, country, carrier, campaign, segments, code, upstream_code, status_text,
       final_at, outcome, category
FROM derived WHERE NOT known;

-- The hours whose counts may have changed, for rollups.sql.
CREATE OR REPLACE TEMP TABLE touched_hours AS
SELECT DISTINCT date_trunc('hour', message_at) AS hour FROM derived
UNION
SELECT DISTINCT date_trunc('hour', old_message_at) FROM derived WHERE known;
