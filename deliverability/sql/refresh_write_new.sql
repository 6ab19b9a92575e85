-- Write the messages refresh_messages.sql derived (TEMP view derived_rows) into a store that
-- has none of them: every one is new, so the view's rows go straight in, computed once and
-- never copied. The hours to re-count are then every hour of the messages
-- (deliverability/derive.py).
-- Grain: writes one row per derived message into messages.
-- Parameters: TEMP view derived_rows.

INSERT INTO messages
SELECT provider, message_id, channel, message_at, sent_at, has_send, event_count, sender,
       recipient, country, carrier, campaign, segments, code, upstream_code, status_text,
       final_at, outcome, category
FROM derived_rows;
