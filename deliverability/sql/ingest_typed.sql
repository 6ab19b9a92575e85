-- Validate and type the staged rows of one file (TEMP TABLE stage, from a reader).
-- Every staged row gets exactly one fate here: a reject reason, or a send and/or an event.
-- stage may be a table or a view (the canonical reader's: the file is read once, here).
-- typed keeps stage's order (load_staged.py builds it with preserve_insertion_order), so its
-- rowid is the row's position in the file: the first row of a repeated send or event is
-- the one kept. A reader may leave `line` NULL when stage's rows are the file's rows in
-- order: rejected rows are numbered from their position afterwards
-- (readers/csv_rejects.py, number_rejected_rows).
-- Grain: writes TEMP table typed, one row per staged row, with its reject reason (NULL:
--   kept).
-- Parameters: $tz, the time zone for naive timestamps (a reader may set one per row);
--   $received_at, when the file was received (the time of events with none of their own);
--   TEMP table or view stage (the staged rows of one file).
CREATE OR REPLACE TEMP TABLE typed AS
-- Each text is trimmed once here and parsed once below: the macros repeat their argument, so
-- a macro called on another macro's result would expand (and run) it many times over.
WITH trimmed AS (
    SELECT
        line, raw, reject_reason, has_send, has_event,
        -- The row's fingerprint (deliverability/known_rows.py; ingest_known_rows.sql computes
        -- the same): a hash of every staged value but the line and raw text, with what else
        -- types them; beside it, a hash of another kind of the values its send and event
        -- keys type from. Two rows match only if both hashes do: by chance (2^-64) on the
        -- first alone, and then a row with its keys' very text is a duplicate anyway.
        (hash(*COLUMNS(* EXCLUDE (line, raw)), $tz)::UHUGEINT << 64)
        | hash(concat_ws(chr(31), provider, message_id, sent_at, event_at, status_code, tz, $tz,
                         receipt, has_send, has_event))::UHUGEINT AS fingerprint,
        nz(message_id) AS message_id,
        lower(nz(provider)) AS provider,
        lower(nz(channel)) AS channel,
        nz(sent_at) AS sent_raw,
        nz(event_at) AS event_raw,
        coalesce(tz, $tz) AS zone,
        nz(sender) AS sender_raw,
        nz(recipient) AS recipient_raw,
        upper(nz(country)) AS country,
        nz(carrier) AS carrier,
        nz(campaign) AS campaign,
        nz(segments) AS segments_raw,
        nz(status_code) AS status_code_raw,
        nz(status_text) AS status_text,
        nz(event_carrier) AS event_carrier,
        lower(nz(upstream_provider)) AS upstream_provider,
        nz(upstream_code) AS upstream_code_raw,
        nz(status_word) AS status_word_raw
    FROM (SELECT *, receipt_time(has_event, event_at, $received_at) AS receipt FROM stage)
),
timed AS (
    SELECT *,
        parse_ts_trimmed(sent_raw, zone) AS sent_ts,
        parse_ts_trimmed(event_raw, zone) AS event_own_ts,
        try_cast(segments_raw AS DOUBLE) AS segments_number
    FROM trimmed
),
parsed AS (
    SELECT
        line, raw, reject_reason, has_send, has_event, fingerprint, message_id, provider,
        channel, sent_raw, sent_ts, event_raw,
        -- An event with no time of its own: a combined row's send time, else the time the
        -- file was received ($received_at). Never dropped for want of a time.
        CASE WHEN event_raw IS NOT NULL THEN event_own_ts
             WHEN has_send AND sent_ts IS NOT NULL THEN sent_ts
             ELSE CAST($received_at AS TIMESTAMP) END AS event_ts,
        has_event AND event_raw IS NULL AND NOT (has_send AND sent_ts IS NOT NULL)
            AND $received_at IS NOT NULL AS dated_by_receipt,
        norm_number_trimmed(sender_raw) AS sender,
        norm_number_trimmed(recipient_raw) AS recipient,
        country, carrier, campaign, segments_raw, segments_number,
        try_cast(segments_number AS INTEGER) AS segments,
        norm_code_text(status_code_raw) AS status_code,
        status_text, event_carrier, upstream_provider,
        norm_code_text(upstream_code_raw) AS upstream_code,
        norm_code_text(status_word_raw) AS status_word
    FROM timed
)
SELECT *,
    CASE
        WHEN reject_reason IS NOT NULL THEN reject_reason
        WHEN message_id IS NULL THEN 'missing message_id'
        WHEN provider IS NULL THEN 'missing provider'
        WHEN has_send AND sent_raw IS NULL THEN 'missing sent_at'
        WHEN has_send AND sent_ts IS NULL AND unknown_zone(sent_raw) IS NOT NULL
            THEN 'unknown time zone ' || left(unknown_zone(sent_raw), 40) || ' in sent_at ' || left(sent_raw, 80)
        WHEN has_send AND sent_ts IS NULL THEN 'unparseable sent_at ' || left(sent_raw, 80)
        WHEN has_send AND NOT plausible_ts(sent_ts)
            THEN 'implausible sent_at ' || left(sent_raw, 80) || ' (before 2000 or over 2 years ahead)'
        WHEN has_event AND event_ts IS NULL AND event_raw IS NULL THEN 'missing event_at'
        WHEN has_event AND event_ts IS NULL AND unknown_zone(event_raw) IS NOT NULL
            THEN 'unknown time zone ' || left(unknown_zone(event_raw), 40) || ' in event_at ' || left(event_raw, 80)
        WHEN has_event AND event_ts IS NULL THEN 'unparseable event_at ' || left(event_raw, 80)
        WHEN has_event AND NOT plausible_ts(event_ts)
            THEN 'implausible event_at ' || left(event_raw, 80) || ' (before 2000 or over 2 years ahead)'
        WHEN NOT has_send AND NOT has_event THEN 'no send time and no status code'
        WHEN segments_raw IS NOT NULL AND segments IS NULL
            THEN 'segments is not a number: ' || left(segments_raw, 40)
        WHEN segments_number < 0 THEN 'segments is negative: ' || left(segments_raw, 40)
        WHEN segments_number <> floor(segments_number)
            THEN 'segments is not a whole number: ' || left(segments_raw, 40)
    END AS reason
FROM parsed;
