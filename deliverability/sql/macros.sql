-- Parsing helpers every ingest uses; created as TEMP macros on each connection.
-- Grain: scalar macros, one value per call (creates them; writes no rows).
-- Parameters: the macros' arguments: nz_text(t), nz(s), norm_code_text(t), norm_code(c),
--   has_offset(s), parse_ts_trimmed(s, tz), parse_ts(raw, tz), plausible_ts(ts),
--   norm_number_digits(n, d), norm_number_trimmed(n), norm_number(n); t, s, raw, c, n:
--   the value; tz: the time zone for naive text; ts: a timestamp; d: n without blanks,
--   parentheses, dots and dashes.

-- Empty strings and whitespace become NULL.
-- (trim() strips spaces only; most values have none, and skipping trim() for them is a third
-- cheaper on large files while giving the same result.)
CREATE OR REPLACE TEMP MACRO nz_text(t) AS (
    CASE WHEN starts_with(t, ' ') OR ends_with(t, ' ') THEN nullif(trim(t), '')
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

-- True when the text carries its own UTC offset or zone letter.
CREATE OR REPLACE TEMP MACRO has_offset(s) AS (
    regexp_matches(s, '(Z|[+-][0-9]{2}:?[0-9]{2}|[+-][0-9]{2}| UTC| GMT)$')
);

-- A timestamp in UTC from the formats exports use. Text with an offset is converted from
-- that offset; naive text is read in time zone tz. Epoch seconds and milliseconds count as
-- UTC. Anything else is NULL (and the row is quarantined by the caller).
-- (The offset test comes first, and its cheap half first: most exports stamp UTC with 'Z'.)
CREATE OR REPLACE TEMP MACRO parse_ts_trimmed(s, tz) AS (
    CASE
        WHEN s IS NULL OR s = '' THEN NULL
        WHEN ends_with(s, 'Z') OR has_offset(s) THEN coalesce(
            try_cast(s AS TIMESTAMPTZ),
            try_strptime(s, '%a, %d %b %Y %H:%M:%S %z'),
            try_strptime(s, '%d %b %Y %H:%M:%S %z'),
            try_strptime(s, '%m/%d/%Y %H:%M:%S %z')
        ) AT TIME ZONE 'UTC'
        WHEN regexp_full_match(s, '[0-9]{13}') THEN make_timestamp(CAST(s AS BIGINT) * 1000)
        WHEN regexp_full_match(s, '[0-9]{9,10}(\.[0-9]+)?')
            THEN make_timestamp(CAST(CAST(s AS DOUBLE) * 1000000 AS BIGINT))
        ELSE timezone('UTC', timezone(tz, coalesce(
            try_cast(s AS TIMESTAMP),
            try_strptime(s, '%m/%d/%Y %H:%M:%S'),
            try_strptime(s, '%m/%d/%Y %H:%M'),
            try_strptime(s, '%m/%d/%Y %I:%M:%S %p'),
            try_strptime(s, '%m/%d/%Y %I:%M %p'),
            try_strptime(s, '%Y/%m/%d %H:%M:%S'),
            try_strptime(s, '%d.%m.%Y %H:%M:%S'),
            try_strptime(s, '%a, %d %b %Y %H:%M:%S'),
            try_strptime(s, '%d-%b-%Y %H:%M:%S')
        )))
    END
);

CREATE OR REPLACE TEMP MACRO parse_ts(raw, tz) AS parse_ts_trimmed(nz(raw), tz);

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
