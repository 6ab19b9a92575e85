-- Derive the messages whose send side and events are in TEMP tables or views affected_sends
-- (one row per message) and affected_events (refresh_input_listed.sql or
-- refresh_input_slice.sql make them); TEMP table known_messages(provider, message_id,
-- message_at) holds those already stored.
--
-- A message's final status is its latest event whose catalog entry is final and decisive
-- (delivered or failed): a late interim report never undoes it. Without one, its latest
-- event: a final but unconfirmed status (Salesforce's 2000 DeliveredToAggregator, Telnyx's
-- delivery_unconfirmed) is provisional, and later progress (3001 SentToCarrier) moves the
-- message forward. With no event at all, outcome no_report. Ties at the same time go to the
-- more decisive outcome, then the higher code (Salesforce's own rule).
-- Codes resolve on (provider, channel, code), then the provider's '*' entry, then the
-- upstream network's code (Chirp's Telnyx code). A code nothing resolves is 'unknown'.
--
-- The rows are written by refresh_write_listed.sql (messages stored before are updated in
-- place) or refresh_write_new.sql (a store with none yet: inserted straight from the view,
-- with no copy in between); the rollups are re-counted for the hours touched (rollups.sql).
-- The per-field fallbacks from events are computed only for messages whose send row lacks
-- a field.
-- Grain: writes TEMP view derived_rows (one row per message of affected_sends, with
--   `known` and `old_message_at` from known_messages) and the TEMP tables it reads.
-- Parameters: TEMP tables or views affected_sends, affected_events; TEMP table
--   known_messages; table carriers.

CREATE OR REPLACE TEMP TABLE resolved_codes AS
WITH keys AS (
    SELECT DISTINCT provider, channel, status_code, upstream_provider, upstream_code, status_word
    FROM affected_events
),
primary_codes AS (SELECT * FROM codes WHERE variant = 0)
-- A code nothing resolves takes its outcome from the provider's own status word beside it
-- (the catalog's status-word entries), and keeps no category: 'uncatalogued'.
SELECT k.*,
    coalesce(c.outcome, s.outcome, uc.outcome, us.outcome, wc.outcome, ws.outcome) AS outcome,
    coalesce(c.category, s.category, uc.category, us.category) AS category,
    coalesce(c.final, s.final, uc.final, us.final, wc.final, ws.final, false) AS is_final
FROM keys k
LEFT JOIN primary_codes c
    ON c.provider = k.provider AND c.channel = k.channel AND c.code = k.status_code
LEFT JOIN primary_codes s
    ON s.provider = k.provider AND s.channel = '*' AND s.code = k.status_code
LEFT JOIN primary_codes uc
    ON uc.provider = k.upstream_provider AND uc.channel = k.channel AND uc.code = k.upstream_code
LEFT JOIN primary_codes us
    ON us.provider = k.upstream_provider AND us.channel = '*' AND us.code = k.upstream_code
LEFT JOIN primary_codes wc
    ON wc.provider = k.provider AND wc.channel = k.channel AND wc.code = k.status_word
LEFT JOIN primary_codes ws
    ON ws.provider = k.provider AND ws.channel = '*' AND ws.code = k.status_word;

CREATE OR REPLACE TEMP TABLE event_summary AS
SELECT
    e.provider, e.message_id,
    count(*) AS event_count,
    min(e.event_at) AS first_event_at,
    arg_max(
        {'code': e.status_code, 'upstream_code': e.upstream_code, 'status_text': e.status_text,
         'event_at': e.event_at, 'outcome': r.outcome, 'category': r.category},
        (r.is_final AND r.outcome IN ('delivered', 'failed'), e.event_at,
         CASE r.outcome WHEN 'delivered' THEN 3 WHEN 'failed' THEN 3 WHEN 'unconfirmed' THEN 2
                        WHEN 'pending' THEN 1 ELSE 0 END,
         e.status_code)
    ) AS fin
FROM affected_events e
JOIN resolved_codes r
    ON r.provider = e.provider
    AND r.channel IS NOT DISTINCT FROM e.channel
    AND r.status_code = e.status_code
    AND r.upstream_provider IS NOT DISTINCT FROM e.upstream_provider
    AND r.upstream_code IS NOT DISTINCT FROM e.upstream_code
    AND r.status_word IS NOT DISTINCT FROM e.status_word
GROUP BY e.provider, e.message_id;

-- What the delivery reports say about the message itself (the latest non-empty value of
-- each field), for messages whose send row leaves a field empty.
CREATE OR REPLACE TEMP TABLE event_fallback AS
SELECT
    e.provider, e.message_id,
    arg_max(e.channel, e.event_at) FILTER (WHERE e.channel IS NOT NULL) AS channel,
    arg_max(e.carrier, e.event_at) FILTER (WHERE e.carrier IS NOT NULL) AS carrier,
    arg_max(e.sender, e.event_at) FILTER (WHERE e.sender IS NOT NULL) AS sender,
    arg_max(e.recipient, e.event_at) FILTER (WHERE e.recipient IS NOT NULL) AS recipient,
    arg_max(e.country, e.event_at) FILTER (WHERE e.country IS NOT NULL) AS country,
    arg_max(e.campaign, e.event_at) FILTER (WHERE e.campaign IS NOT NULL) AS campaign,
    max(e.segments) AS segments
FROM affected_events e
SEMI JOIN (
    SELECT provider, message_id FROM affected_sends
    WHERE channel IS NULL OR sender IS NULL OR recipient IS NULL OR country IS NULL
       OR carrier IS NULL OR campaign IS NULL OR segments IS NULL
) incomplete USING (provider, message_id)
GROUP BY e.provider, e.message_id;

-- A carrier's canonical name (table carriers, deliverability/carriers.py): its spelling
-- (lower-case letters and digits) in the message's country, else a spelling every country
-- agrees on; a name the table does not know is kept as it is.
CREATE OR REPLACE TEMP TABLE carrier_any_country AS
SELECT key, min(carrier) AS carrier FROM carriers GROUP BY key HAVING count(DISTINCT carrier) = 1;

CREATE OR REPLACE TEMP VIEW derived_rows AS
WITH described AS (
    SELECT a.*, f.channel AS f_channel, f.sender AS f_sender, f.recipient AS f_recipient,
        f.country AS f_country, f.campaign AS f_campaign, f.segments AS f_segments,
        coalesce(a.carrier, f.carrier) AS raw_carrier,
        regexp_replace(lower(strip_accents(coalesce(a.carrier, f.carrier))), '[^a-z0-9]', '', 'g')
            AS carrier_key
    FROM affected_sends a
    LEFT JOIN event_fallback f ON f.provider = a.provider AND f.message_id = a.message_id
)
SELECT
    a.provider, a.message_id,
    coalesce(a.channel, a.f_channel) AS channel,
    coalesce(a.sent_at, g.first_event_at) AS message_at,
    a.sent_at,
    a.has_send,
    coalesce(g.event_count, 0) AS event_count,
    coalesce(a.sender, a.f_sender) AS sender,
    coalesce(a.recipient, a.f_recipient) AS recipient,
    coalesce(a.country, a.f_country) AS country,
    coalesce(cc.carrier, ca.carrier, a.raw_carrier) AS carrier,
    coalesce(a.campaign, a.f_campaign) AS campaign,
    coalesce(a.segments, a.f_segments) AS segments,
    g.fin.code AS code,
    g.fin.upstream_code AS upstream_code,
    g.fin.status_text AS status_text,
    g.fin.event_at AS final_at,
    CASE WHEN g.event_count IS NULL THEN 'no_report'
         WHEN g.fin.outcome IS NULL THEN 'unknown'
         ELSE g.fin.outcome END AS outcome,
    CASE WHEN g.event_count IS NULL THEN 'no_report'
         WHEN g.fin.category IS NULL THEN 'uncatalogued'
         ELSE g.fin.category END AS category,
    -- the stored row, if any: updated in place below, and its hour re-counted
    m.message_id IS NOT NULL AS known,
    m.message_at AS old_message_at
FROM described a
LEFT JOIN event_summary g ON g.provider = a.provider AND g.message_id = a.message_id
LEFT JOIN carriers cc
    ON cc.key = a.carrier_key AND cc.country = coalesce(a.country, a.f_country)
LEFT JOIN carrier_any_country ca ON ca.key = a.carrier_key
LEFT JOIN known_messages m ON m.provider = a.provider AND m.message_id = a.message_id;
