-- The fingerprints of one staged file's rows, to tell the rows the store has loaded before,
-- value for value as staged (a re-export, a cumulative export): each types to sends and
-- events the store holds, so it is a duplicate, and typing it would only say so after the
-- costliest step of an ingest (deliverability/known_rows.py sets them aside).
-- Grain: writes TEMP table stage_fingerprints (one row per row of TEMP view stage_rows, in
--   file order) and TEMP table known_positions (one row per position, from 0, whose
--   fingerprint row_fingerprints lists).
-- Parameters: $tz and $received_at (as for ingest_typed.sql: part of the fingerprint);
--   TEMP view stage_rows (the staged rows, or the first of them); table row_fingerprints.

CREATE OR REPLACE TEMP TABLE stage_fingerprints AS
SELECT
    -- The same fingerprint as ingest_typed.sql's (see there).
    (hash(*COLUMNS(* EXCLUDE (line, raw)), $tz)::UHUGEINT << 64)
    | hash(concat_ws(chr(31), provider, message_id, sent_at, event_at, status_code, tz, $tz,
                     receipt, has_send, has_event))::UHUGEINT AS fingerprint,
    has_send, has_event, lower(nz(provider)) AS provider,
    -- An event row with no time of its own, dated by the receipt if it is valid (a row set
    -- aside is: it was loaded before; with a send, it is dated by the send).
    receipt IS NOT NULL AND NOT has_send AS dated_by_receipt
-- receipt_time: the one option that types only some rows is in their values.
FROM (SELECT *, receipt_time(has_event, event_at, $received_at) AS receipt FROM stage_rows);

-- A position counts from 0 (a table written in an open transaction numbers its rows from a
-- large offset).
CREATE OR REPLACE TEMP TABLE known_positions AS
SELECT f.rowid - (SELECT min(rowid) FROM stage_fingerprints) AS position
FROM stage_fingerprints f SEMI JOIN row_fingerprints USING (fingerprint);
