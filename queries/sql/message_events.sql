-- What happened to one message, in order? Every event with the catalog's reading of its code.
-- $since/$until (either may be NULL) narrow the search to events stamped in that window:
-- events are stored roughly in time order, so DuckDB skips the row groups outside it
-- instead of reading every event's message_id (queries/messages.py says when that is safe).
-- Grain: one row per event of the message, in time order.
-- Parameters: $provider, $message_id (the message), $since, $until (the event_at window,
--   inclusive and exclusive; NULL: open).
SELECT e.event_at, e.status_code AS code, e.status_text, e.carrier, e.upstream_code,
       coalesce(c.name, s.name) AS name, coalesce(c.outcome, s.outcome) AS outcome,
       coalesce(c.category, s.category) AS category, coalesce(c.final, s.final) AS final,
       e.ingest_id
FROM events e
LEFT JOIN codes c ON c.variant = 0 AND c.provider = e.provider AND c.channel = e.channel
    AND c.code = e.status_code
LEFT JOIN codes s ON s.variant = 0 AND s.provider = e.provider AND s.channel = '*'
    AND s.code = e.status_code
WHERE e.provider = $provider AND e.message_id = $message_id
    AND ($since IS NULL OR e.event_at >= $since) AND ($until IS NULL OR e.event_at < $until)
ORDER BY e.event_at, e.status_code
