-- Parsing helpers every ingest uses; created as TEMP macros on each connection.
-- Grain: scalar macros, one value per call (creates them; writes no rows).
-- Parameters: the macros' arguments: nz_text(t), nz(s), norm_code_text(t), norm_code(c),
--   zone_abbreviation_minutes(z), has_numeric_offset(s), has_offset(s), offset_minutes(o),
--   zone_minutes(z), parse_local(s), parse_zone_parts(p), parse_zoned(s), unknown_zone(s),
--   parse_ts_trimmed(s, tz), parse_ts(raw, tz), receipt_time(has_event, event_at,
--   received_at), plausible_ts(ts), scrub_numbers(t),
--   norm_number_digits(n, d), norm_number_trimmed(n), norm_number(n); t, s, raw, c, n:
--   the value; tz: the time zone for naive text; ts: a timestamp; d: n without blanks,
--   parentheses, dots and dashes.

-- Empty strings and whitespace become NULL. Whitespace is Unicode's (tabs, non-breaking and
-- ideographic spaces, line separators) plus the invisible BOM and zero-width space that
-- spreadsheets leave behind: an id with a trailing tab is the same id.
-- (Most values have none at either end, and skipping the trim for them keeps large files fast.)
CREATE OR REPLACE TEMP MACRO nz_text(t) AS (
    CASE WHEN regexp_matches(t, '^[\s\p{Z}\x{0B}\x{1C}-\x{1F}\x{85}\x{200B}\x{FEFF}]|[\s\p{Z}\x{0B}\x{1C}-\x{1F}\x{85}\x{200B}\x{FEFF}]$')
             THEN nullif(regexp_replace(t, '^[\s\p{Z}\x{0B}\x{1C}-\x{1F}\x{85}\x{200B}\x{FEFF}]+|[\s\p{Z}\x{0B}\x{1C}-\x{1F}\x{85}\x{200B}\x{FEFF}]+$', '', 'g'), '')
         ELSE nullif(t, '') END
);
CREATE OR REPLACE TEMP MACRO nz(s) AS nz_text(CAST(s AS VARCHAR));

-- A status code as stored: trimmed, lower-case (status words), "4000.0" from spreadsheets
-- back to "4000". NULL when empty. Codes already in that form (nearly all) are checked, not
-- rebuilt: lower() copies every string.
CREATE OR REPLACE TEMP MACRO norm_code_text(t) AS (
    CASE
        WHEN t IS NULL THEN NULL
        WHEN regexp_full_match(t, '[0-9a-z_]+') THEN t
        WHEN regexp_full_match(t, '-?[0-9]+\.0+') THEN split_part(t, '.', 1)
        ELSE lower(t)
    END
);
CREATE OR REPLACE TEMP MACRO norm_code(c) AS norm_code_text(nz(c));

-- Common zone abbreviations, as minutes east of UTC. Each means one fixed offset (PST is
-- -08:00 in July too); where an abbreviation is ambiguous the reading most SMS exports mean is
-- taken (IST India, CST US Central, BST British Summer Time). The README lists this table;
-- an abbreviation not in it is rejected with its reason, never ignored.
CREATE OR REPLACE TEMP MACRO zone_abbreviation_minutes(z) AS (
    MAP {
        'WET': 0, 'WEST': 60, 'BST': 60, 'IST': 330, 'CET': 60, 'CEST': 120, 'MET': 60,
        'MEST': 120, 'EET': 120, 'EEST': 180, 'MSK': 180, 'TRT': 180, 'GST': 240,
        'PKT': 300, 'NPT': 345, 'WIB': 420, 'ICT': 420, 'SGT': 480, 'HKT': 480, 'PHT': 480,
        'AWST': 480, 'JST': 540, 'KST': 540, 'ACST': 570, 'ACDT': 630, 'AEST': 600,
        'AEDT': 660, 'NZST': 720, 'NZDT': 780, 'SAST': 120, 'WAT': 60, 'CAT': 120,
        'EAT': 180, 'BRT': -180, 'ART': -180, 'CLT': -240, 'COT': -300, 'PET': -300,
        'AST': -240, 'ADT': -180, 'NST': -210, 'NDT': -150, 'EST': -300, 'EDT': -240,
        'CST': -360, 'CDT': -300, 'MST': -420, 'MDT': -360, 'PST': -480, 'PDT': -420,
        'AKST': -540, 'AKDT': -480, 'HST': -600
    }[upper(z)]
);

-- Text whose time of day ends in a numeric offset (+05:30, -0500, +02; after a space too)
-- within the real range (DuckDB's cast would take +25:00): DuckDB's own cast reads most of
-- these, so they skip the slower split below.
CREATE OR REPLACE TEMP MACRO has_numeric_offset(s) AS (
    regexp_matches(s, ':[0-9]{2}(\.[0-9]+)?\s?[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?$')
);

-- Anything written after the time of day but AM/PM: Z, an offset (+05:30, -0500, +2),
-- UTC/GMT/UT with or without an offset (GMT+2), an IANA name (America/New_York, EST5EDT)
-- or an abbreviation (EST). Only after a time of day, so a date's own '-18' is not an offset.
CREATE OR REPLACE TEMP MACRO has_offset(s) AS (
    regexp_matches(s, ':[0-9]{2}(\.[0-9]+)?\s*(Z|[+-][0-9]{1,2}(:?[0-9]{2})?|(GMT|UTC|UT)[+-][0-9]{1,2}(:?[0-9]{2})?|[A-Za-z][A-Za-z0-9_+/-]*)$', 'i')
        AND NOT regexp_matches(s, '[0-9]\s*[AaPp]\.?[Mm]\.?$')
);

-- Minutes east of UTC of an offset's parts (sign, h, m); NULL when out of range.
CREATE OR REPLACE TEMP MACRO offset_minutes(o) AS (
    CASE WHEN try_cast(o['h'] AS INTEGER) <= 14
              AND coalesce(try_cast(nullif(o['m'], '') AS INTEGER), 0) < 60
         THEN (CASE WHEN o['sign'] = '-' THEN -1 ELSE 1 END)
              * (try_cast(o['h'] AS INTEGER) * 60 + coalesce(try_cast(nullif(o['m'], '') AS INTEGER), 0))
    END
);

-- Minutes east of UTC for a zone that is an offset or a known abbreviation; NULL for a zone
-- name (resolved by ICU) and for anything unknown.
CREATE OR REPLACE TEMP MACRO zone_minutes(z) AS (
    CASE
        WHEN upper(z) IN ('Z', 'UTC', 'GMT', 'UT') THEN 0
        WHEN regexp_full_match(z, '((GMT|UTC|UT))?[+-][0-9]{1,2}(:?[0-9]{2})?', 'i')
            THEN offset_minutes(regexp_extract(z, '([+-])([0-9]{1,2}):?([0-9]{2})?$', ['sign', 'h', 'm']))
        ELSE zone_abbreviation_minutes(z)
    END
);

-- Naive text in one of the layouts exports use, as a TIMESTAMP (no zone applied). Text
-- ending in AM/PM is read only with %p layouts: DuckDB's cast would drop the PM.
CREATE OR REPLACE TEMP MACRO parse_local(s) AS (
    CASE WHEN regexp_matches(s, '[0-9]\s*[AaPp][Mm]$') THEN coalesce(
            try_strptime(s, '%m/%d/%Y %I:%M:%S %p'),
            try_strptime(s, '%m/%d/%Y %I:%M %p'),
            try_strptime(s, '%Y-%m-%d %I:%M:%S %p'),
            try_strptime(s, '%Y-%m-%d %I:%M %p')
        )
        ELSE coalesce(
            try_cast(s AS TIMESTAMP),
            try_strptime(s, '%m/%d/%Y %H:%M:%S'),
            try_strptime(s, '%m/%d/%Y %H:%M'),
            try_strptime(s, '%Y/%m/%d %H:%M:%S'),
            try_strptime(s, '%d.%m.%Y %H:%M:%S'),
            try_strptime(s, '%a, %d %b %Y %H:%M:%S'),
            try_strptime(s, '%d %b %Y %H:%M:%S'),
            try_strptime(s, '%d-%b-%Y %H:%M:%S')
        )
    END
);

-- Text split into its local time and its zone (p: local, zone), in UTC: an offset or a
-- listed abbreviation by its minutes, any other zone by ICU's zone names; NULL when
-- neither knows it.
CREATE OR REPLACE TEMP MACRO parse_zone_parts(p) AS (
    CASE
        WHEN zone_minutes(p['zone']) IS NOT NULL
            THEN parse_local(p['local']) - to_minutes(zone_minutes(p['zone']))
        ELSE try_cast(strftime(parse_local(p['local']), '%Y-%m-%d %H:%M:%S.%f') || ' ' || p['zone']
                      AS TIMESTAMPTZ) AT TIME ZONE 'UTC'
    END
);

-- Text that ends in a zone (has_offset), in UTC; NULL when the zone is not one we know.
CREATE OR REPLACE TEMP MACRO parse_zoned(s) AS parse_zone_parts(regexp_extract(
    s,
    '^(.*?)\s*(Z|[+-][0-9]{1,2}(:?[0-9]{2})?|(GMT|UTC|UT)([+-][0-9]{1,2}(:?[0-9]{2})?)?|[A-Za-z][A-Za-z0-9_+/-]*)$',
    ['local', 'zone'],
    'i'
));

-- The zone word of text that has one we do not know (for the row's reject reason), else NULL.
CREATE OR REPLACE TEMP MACRO unknown_zone(s) AS (
    CASE WHEN has_offset(s) AND parse_zoned(s) IS NULL
              AND parse_local(regexp_extract(s, '^(.*?)\s*([A-Za-z][A-Za-z0-9_/+-]*)$', 1)) IS NOT NULL
         THEN regexp_extract(s, '([A-Za-z][A-Za-z0-9_/+-]*)$', 1) END
);

-- A timestamp in UTC from the formats exports use. Text with a zone is converted from it;
-- naive text (a date alone too) is read in time zone tz. Epoch seconds and milliseconds
-- count as UTC. Anything else is NULL (and the row is quarantined by the caller): text
-- with something after its time that is neither a zone nor AM/PM is never read as naive.
-- (Most exports stamp UTC with 'Z' or a numeric offset: DuckDB's cast is tried first.)
CREATE OR REPLACE TEMP MACRO parse_ts_trimmed(s, tz) AS (
    CASE
        WHEN s IS NULL OR s = '' THEN NULL
        WHEN ends_with(s, 'Z')
            THEN coalesce(try_cast(s AS TIMESTAMPTZ) AT TIME ZONE 'UTC', parse_zoned(s))
        WHEN has_numeric_offset(s) THEN coalesce(
            coalesce(
                try_cast(s AS TIMESTAMPTZ),
                try_strptime(s, '%a, %d %b %Y %H:%M:%S %z'),
                try_strptime(s, '%d %b %Y %H:%M:%S %z'),
                try_strptime(s, '%m/%d/%Y %H:%M:%S %z')
            ) AT TIME ZONE 'UTC',
            parse_zoned(s)
        )
        WHEN regexp_full_match(s, '[0-9]{13}') THEN make_timestamp(CAST(s AS BIGINT) * 1000)
        WHEN regexp_full_match(s, '[0-9]{9,10}(\.[0-9]+)?')
            THEN make_timestamp(CAST(CAST(s AS DOUBLE) * 1000000 AS BIGINT))
        WHEN has_offset(s) THEN parse_zoned(s)
        WHEN regexp_matches(s, '[0-9]$|[0-9]\s*[AaPp][Mm]$')
            THEN timezone('UTC', timezone(tz, parse_local(s)))
    END
);

CREATE OR REPLACE TEMP MACRO parse_ts(raw, tz) AS parse_ts_trimmed(nz(raw), tz);

-- The time a file was received, for a staged event with no time of its own (it is dated by
-- it: ingest_typed.sql); NULL for any other row. Part of a row's fingerprint
-- (deliverability/known_rows.py).
CREATE OR REPLACE TEMP MACRO receipt_time(has_event, event_at, received_at) AS (
    CASE WHEN has_event AND nz(event_at) IS NULL THEN CAST(received_at AS TIMESTAMP) END
);

-- Timestamps outside this window are data errors (epoch 0, year 9999), not messages.
CREATE OR REPLACE TEMP MACRO plausible_ts(ts) AS (
    ts >= TIMESTAMP '2000-01-01' AND ts < CAST(current_date + INTERVAL 2 YEAR AS TIMESTAMP)
);

-- A phone number as stored: '+' and digits for anything that looks international.
-- Non-phone recipients (emails, push tokens, chat ids) are kept as they are.
CREATE OR REPLACE TEMP MACRO norm_number_digits(n, d) AS (
    CASE
        WHEN regexp_full_match(d, '\+[0-9]{6,15}') THEN d
        WHEN regexp_full_match(d, '00[0-9]{6,15}') THEN '+' || d[3:]
        WHEN regexp_full_match(d, '[0-9]{10,15}') THEN '+' || d
        ELSE n
    END
);

-- Clean numbers (the vast majority) skip the costly character stripping.
CREATE OR REPLACE TEMP MACRO norm_number_trimmed(n) AS (
    CASE
        WHEN n IS NULL OR n = '' THEN NULL
        WHEN regexp_full_match(n, '\+[0-9]{6,15}') THEN n
        WHEN regexp_full_match(n, '[0-9]{10,15}') THEN '+' || n
        ELSE norm_number_digits(n, regexp_replace(n, '[\s().-]', '', 'g'))
    END
);

CREATE OR REPLACE TEMP MACRO norm_number(n) AS norm_number_trimmed(nz(n));

-- Free text with the numbers in it masked: what a hashed store keeps of numbers in status
-- texts and rejected lines. A number written in groups (415-555-0123, +44 7700 900123,
-- +1 (415) 555 0123) and a run of 7-15 digits (after '+', '%2B' or anything else) keep
-- their last four digits. Dates and times are not groups of this kind.
CREATE OR REPLACE TEMP MACRO scrub_numbers(t) AS (
    CASE WHEN regexp_matches(t, '[0-9]([ ().-]*[0-9]){6}')
         THEN regexp_replace(
             regexp_replace(
                 t,
                 '(\+|%2[Bb])?\(?[0-9]{1,4}\)?([ .-]{1,2}\(?[0-9]{2,5}\)?){1,3}[ .-]{1,2}[0-9]*?([0-9]{4}|[0-9]{3})($|[^0-9])',
                 '••••\3\4',
                 'g'
             ),
             '(\+|%2[Bb])?[0-9]{3,11}([0-9]{4})',
             '••••\2',
             'g'
         )
         ELSE t END
);
