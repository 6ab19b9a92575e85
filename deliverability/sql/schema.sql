-- The store's tables. Timestamps are UTC, stored as TIMESTAMP (no zone) so that nothing
-- depends on a session's time zone. Schema version 14 (2: the rollup tables; 4: event_code_days;
-- 5: uncatalogued_events; 6: messages derived again by the provisional-final rule;
-- 7: ingests.dated_by_receipt and dated_from; 8: events.status_word; 9: carriers;
-- 10: ingests.content_hash, read_kind and replaced_by; 11: codes.advice_from and link;
-- 12: alert_deliveries and alert_rules; 13: alert_rules' checked ingests; 14: row_fingerprints).
-- Grain: creates the store's tables when missing; writes no rows.
-- Parameters: none.

CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- The code catalog as loaded from catalog/*.csv (+ the user's extra file).
CREATE TABLE IF NOT EXISTS codes (
    provider VARCHAR NOT NULL, channel VARCHAR NOT NULL, code VARCHAR NOT NULL,
    variant INTEGER NOT NULL, context VARCHAR, section VARCHAR, name VARCHAR,
    description VARCHAR, advice VARCHAR, provider_status VARCHAR, outcome VARCHAR,
    category VARCHAR, final BOOLEAN, retryable BOOLEAN, source VARCHAR, note VARCHAR,
    origin VARCHAR, advice_from VARCHAR, link VARCHAR,
    PRIMARY KEY (provider, channel, code, variant)
);

-- One row per file that went in (committed with the file's rows, never without them).
CREATE TABLE IF NOT EXISTS ingests (
    ingest_id INTEGER PRIMARY KEY, file_name VARCHAR, path VARCHAR, fingerprint VARCHAR,
    kind VARCHAR, reader VARCHAR, provider VARCHAR, rows_read BIGINT, loaded BIGINT,
    duplicates BIGINT, rejected BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP,
    -- events with no time of their own, dated by when the file was received, and from what
    dated_by_receipt BIGINT, dated_from VARCHAR,
    -- the file's bytes alone (fingerprint adds the options), the --kind it was read as,
    -- and the later ingest of the same file, with other options, that replaced its rows
    content_hash VARCHAR, read_kind VARCHAR, replaced_by INTEGER
);

CREATE TABLE IF NOT EXISTS sends (
    provider VARCHAR NOT NULL, message_id VARCHAR NOT NULL, channel VARCHAR,
    sent_at TIMESTAMP NOT NULL, sender VARCHAR, recipient VARCHAR, country VARCHAR,
    carrier VARCHAR, campaign VARCHAR, segments INTEGER, ingest_id INTEGER
);

-- Delivery events. Identity: (provider, message_id, event_at, status_code).
-- recipient..segments are what a delivery report says about the message itself; they fill
-- the message when there is no send row. upstream_* keep the code of the network a
-- provider resells (Chirp on Telnyx).
CREATE TABLE IF NOT EXISTS events (
    provider VARCHAR NOT NULL, message_id VARCHAR NOT NULL, channel VARCHAR,
    event_at TIMESTAMP NOT NULL, status_code VARCHAR NOT NULL, status_text VARCHAR,
    carrier VARCHAR, upstream_provider VARCHAR, upstream_code VARCHAR, sender VARCHAR,
    recipient VARCHAR, country VARCHAR, campaign VARCHAR, segments INTEGER, ingest_id INTEGER,
    -- the provider's own status word beside the code, when it differs from the code
    status_word VARCHAR
);

-- Rows that could not be stored, with why. Nothing read is ever silently dropped.
CREATE TABLE IF NOT EXISTS quarantine (
    ingest_id INTEGER, file_name VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR
);

-- One row per message (provider, message_id) with its final status: derived from sends,
-- events and codes, and kept up to date at ingest so that every view reads one table.
CREATE TABLE IF NOT EXISTS messages (
    provider VARCHAR NOT NULL, message_id VARCHAR NOT NULL, channel VARCHAR,
    message_at TIMESTAMP,        -- send time, else the first event's time
    sent_at TIMESTAMP, has_send BOOLEAN, event_count INTEGER,
    sender VARCHAR, recipient VARCHAR, country VARCHAR, carrier VARCHAR, campaign VARCHAR,
    segments INTEGER,
    code VARCHAR,                -- the final status's code; NULL without any event
    upstream_code VARCHAR, status_text VARCHAR, final_at TIMESTAMP,
    outcome VARCHAR,             -- delivered|failed|pending|unconfirmed|no_report|unknown
    category VARCHAR             -- the catalog category; no_report / uncatalogued otherwise
);

-- Events per UTC day and code key, added to with the events an ingest loads: a row per day,
-- key and ingest reporting it (a few thousand rows a month of daily files). Which codes the
-- data holds, and on which days, without reading every event: the review's new codes
-- (queries/sql/codes_new_in_period.sql) and gaps (ingest_gaps.sql). A (day, key) may have
-- several rows: readers sum them.
CREATE TABLE IF NOT EXISTS event_code_days (
    day TIMESTAMP NOT NULL, provider VARCHAR NOT NULL, channel VARCHAR, status_code VARCHAR,
    upstream_provider VARCHAR, upstream_code VARCHAR, events BIGINT NOT NULL
);

-- A copy of the events whose code key the catalog does not know (a few in a thousand): the
-- uncatalogued lists (Catalog page, review) read these rows, not every event. Added to at
-- ingest and made again when the catalog changes (deliverability/sql/uncatalogued_events.sql).
CREATE TABLE IF NOT EXISTS uncatalogued_events (
    provider VARCHAR NOT NULL, message_id VARCHAR NOT NULL, channel VARCHAR,
    event_at TIMESTAMP NOT NULL, status_code VARCHAR, status_text VARCHAR,
    upstream_provider VARCHAR, upstream_code VARCHAR
);

-- Messages whose sends or events an ingest of several files has committed but not derived
-- yet: each file but the last defers the (costly) re-derivation to the last one, so a send
-- log and its delivery reports are derived once. Emptied in the transaction that derives
-- them; a batch that stopped half way is finished when the store is next opened. A message
-- may be listed more than once (one row per new event): the derivation de-duplicates.
CREATE TABLE IF NOT EXISTS pending_refresh (provider VARCHAR NOT NULL, message_id VARCHAR NOT NULL);

-- Pre-aggregated message counts, kept up to date with `messages` at every ingest (the hours
-- and days an ingest touches are re-counted, deliverability/sql/rollups.sql). Views read
-- them instead of every message when their grouping and filters allow (queries/sql/
-- message_cube.sql chooses): each is a few thousand rows a day whatever the
-- volume. Every message is counted exactly once in each.
-- Per hour and code: most reports, the overview, spikes.
CREATE TABLE IF NOT EXISTS rollup_code_hour (
    hour TIMESTAMP NOT NULL, provider VARCHAR NOT NULL, channel VARCHAR, code VARCHAR,
    category VARCHAR, outcome VARCHAR, messages BIGINT NOT NULL
);
-- Per day with carrier, country and campaign too: filters and breakdowns by those.
CREATE TABLE IF NOT EXISTS rollup_dims_day (
    day TIMESTAMP NOT NULL, provider VARCHAR NOT NULL, channel VARCHAR, code VARCHAR,
    category VARCHAR, outcome VARCHAR, carrier VARCHAR, country VARCHAR, campaign VARCHAR,
    messages BIGINT NOT NULL
);
-- Per day and code, how many messages took each latency (latency_bucket.sql: milliseconds to
-- three significant figures, so a day holds at most a few thousand per code): the latency
-- percentiles of the views that group and filter by none of carrier, country, campaign
-- and sender (queries/sql/latency_quantiles.sql). Only messages with a latency are counted.
CREATE TABLE IF NOT EXISTS rollup_latency_day (
    day TIMESTAMP NOT NULL, provider VARCHAR NOT NULL, channel VARCHAR, code VARCHAR,
    category VARCHAR, outcome VARCHAR, latency_ms BIGINT NOT NULL, messages BIGINT NOT NULL
);

-- The fingerprint of every row an ingest loaded (a send or event new to the store): its
-- values as the reader staged them, before any typing, with the options that type them
-- (deliverability/known_rows.py). A row with a fingerprint listed here types to rows the
-- store holds, so a re-export of ingested rows is set aside as duplicates without being
-- typed. Emptied whenever ingests are taken back (retract_ingests.sql); never filled in a
-- hashed store (the staged values hold numbers).
CREATE TABLE IF NOT EXISTS row_fingerprints (fingerprint UHUGEINT NOT NULL);

-- Country of an E.164 prefix, computed once per distinct prefix with phonenumbers.
CREATE TABLE IF NOT EXISTS country_prefixes (prefix VARCHAR PRIMARY KEY, country VARCHAR);

-- Saved --map column mappings, reusable by name (--mapping NAME).
CREATE TABLE IF NOT EXISTS mappings (name VARCHAR PRIMARY KEY, spec VARCHAR, created_at TIMESTAMP);

-- Reviewers' notes on a week, code, carrier or campaign.
CREATE TABLE IF NOT EXISTS notes (
    note_id INTEGER PRIMARY KEY, scope VARCHAR, subject VARCHAR, week VARCHAR,
    body VARCHAR, author VARCHAR, created_at TIMESTAMP
);

-- The carrier table as loaded from catalog/carriers/*.csv (+ the user's extra file): one row
-- per spelling of a network (key: lower-case letters and digits) or per MCC+MNC code.
-- Messages carry the canonical name; sends and events keep what the provider wrote.
CREATE TABLE IF NOT EXISTS carriers (
    country VARCHAR, carrier VARCHAR, key VARCHAR, origin VARCHAR
);

-- The alert ledger: one row per alert delivered to one destination by `deliverability alert`,
-- written as soon as that delivery succeeded, so a spike is sent once to each destination
-- and a run after a partial failure sends only what failed. A spike that grew is sent again
-- as an update: a row of its own (is_update). Secrets never land here: `destination` is a
-- one-way digest of the destination, `destination_label` its kind and host.
CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_key VARCHAR NOT NULL,      -- kind, grain (or week) and key of the spike or rise
    destination VARCHAR NOT NULL, destination_label VARCHAR,
    rule VARCHAR, kind VARCHAR,      -- kind: spike | sustained
    is_update BOOLEAN, in_digest BOOLEAN,
    period_start TIMESTAMP,          -- the spike's bucket; a sustained rise's week (Monday)
    grain VARCHAR,                   -- hour | day | week
    provider VARCHAR, channel VARCHAR, code VARCHAR,
    dimension VARCHAR, value VARCHAR,  -- a sustained rise's carrier, country, campaign or code
    count BIGINT, messages BIGINT, rate DOUBLE, baseline_rate DOUBLE, ratio DOUBLE,
    q_value DOUBLE, title VARCHAR, sent_at TIMESTAMP NOT NULL
);

-- The alert rules as `deliverability alert` last ran them (destinations as labels, never
-- their secrets), and which ingests each has seen: its next run tests again the buckets of
-- the messages that later ingests brought or changed, whatever their time, so late and
-- backfilled data is tested too.
CREATE TABLE IF NOT EXISTS alert_rules (
    rule VARCHAR PRIMARY KEY, grain VARCHAR, providers VARCHAR, channels VARCHAR,
    codes VARCHAR, categories VARCHAR, min_count INTEGER, sustained BOOLEAN,
    destinations VARCHAR,
    checked_until TIMESTAMP,         -- the newest message time when it last ran (shown)
    last_run_at TIMESTAMP, last_sent INTEGER, last_failed INTEGER,
    checked_ingest INTEGER,          -- the newest ingest (id) it has seen
    checked_ingest_at TIMESTAMP,     -- and when that ingest finished
    retry_from TIMESTAMP             -- the first bucket with an alert that did not go; NULL: none
);
