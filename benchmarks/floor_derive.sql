-- The floor for an ingest that derives: after DuckDB's plain load of the send log (t0) and
-- the delivery log (t1) and of the catalog (codes), the least SQL that gives every message
-- its final status, in one statement, written by hand (benchmarks/references.py runs it).
--
-- It does what deliverability/sql/refresh_messages.sql does for these files, minus what
-- they never need: codes resolve on (provider, channel, code), then the provider's '*'
-- entry (no upstream networks in the generated data); the final status is the latest
-- final event, else the latest event; a message with no event is no_report; the carrier
-- and channel fall back to the reports'. Nothing is validated, de-duplicated or rolled up.
CREATE TABLE messages AS
WITH resolved AS (
    SELECT k.provider, k.channel, k.status_code,
           coalesce(c.outcome, s.outcome) AS outcome,
           coalesce(c.category, s.category) AS category,
           coalesce(c.final, s.final, false) AS is_final
    FROM (SELECT DISTINCT provider, channel, status_code::VARCHAR AS status_code FROM t1) k
    LEFT JOIN codes c
        ON c.provider = k.provider AND c.channel = k.channel AND c.code = k.status_code
    LEFT JOIN codes s
        ON s.provider = k.provider AND s.channel = '*' AND s.code = k.status_code
),
final_events AS (
    SELECT e.provider, e.message_id,
           count(*) AS event_count,
           min(e.event_at) AS first_event_at,
           arg_max({'code': e.status_code::VARCHAR, 'status_text': e.status_text::VARCHAR,
                    'event_at': e.event_at, 'outcome': r.outcome, 'category': r.category},
                   (r.is_final, e.event_at)) AS fin,
           arg_max(e.channel, e.event_at) AS channel,
           arg_max(e.carrier, e.event_at) AS carrier
    FROM t1 e
    JOIN resolved r
        ON r.provider = e.provider AND r.channel IS NOT DISTINCT FROM e.channel
        AND r.status_code IS NOT DISTINCT FROM e.status_code::VARCHAR
    GROUP BY e.provider, e.message_id
)
SELECT coalesce(s.provider, f.provider) AS provider,
       coalesce(s.message_id, f.message_id) AS message_id,
       coalesce(s.channel, f.channel) AS channel,
       coalesce(s.sent_at, f.first_event_at) AS message_at,
       s.sender, s.recipient, s.country,
       coalesce(s.carrier, f.carrier) AS carrier,
       s.campaign, s.segments,
       coalesce(f.event_count, 0) AS event_count,
       f.fin.code AS code, f.fin.status_text AS status_text, f.fin.event_at AS final_at,
       CASE WHEN f.event_count IS NULL THEN 'no_report'
            ELSE coalesce(f.fin.outcome, 'unknown') END AS outcome,
       CASE WHEN f.event_count IS NULL THEN 'no_report'
            ELSE coalesce(f.fin.category, 'uncatalogued') END AS category
FROM t0 s
FULL JOIN final_events f ON f.provider = s.provider AND f.message_id = s.message_id;
