-- Which reviewers' notes cover the week $week = [$since, $until)?
--  * a week note: its week is $week;
--  * a code, carrier or campaign note: some message of the week has that subject, and the
--    note has no week or its week is at or before $week (a note given for a week applies
--    from that week on). A code subject is 'provider:channel:code', '*' for any provider or
--    channel; it matches the message's final code. Carriers and campaigns match ignoring case
--    and surrounding blanks.
-- ISO week labels 'YYYY-Www' sort in time order as text.
-- The week's messages are read from rollup_dims_day (weeks start on whole days, so it holds
-- every combination the week's messages have) instead of every message.
-- Grain: one row per note covering the week, week notes first.
-- Parameters: $week (the ISO week label 'YYYY-Www'), $since, $until (the week's bounds,
--   midnights UTC).
WITH week_messages AS (
    SELECT DISTINCT provider, channel, code, lower(trim(carrier)) AS carrier,
           lower(trim(campaign)) AS campaign
    FROM rollup_dims_day
    WHERE day >= $since AND day < $until
),
parsed AS (
    SELECT n.*,
           split_part(n.subject, ':', 1) AS subject_provider,
           split_part(n.subject, ':', 2) AS subject_channel,
           -- everything after the second ':' (a code may hold ':' itself)
           substr(n.subject, length(split_part(n.subject, ':', 1))
                             + length(split_part(n.subject, ':', 2)) + 3) AS subject_code
    FROM notes n
)
SELECT note_id, scope, subject, week, body, author, created_at
FROM parsed n
WHERE (n.scope = 'week' AND n.week = $week)
   OR (n.scope IN ('code', 'carrier', 'campaign')
       AND (n.week IS NULL OR n.week <= $week)
       AND CASE n.scope
           WHEN 'code' THEN EXISTS (
               SELECT 1 FROM week_messages m
               WHERE (n.subject_provider = '*' OR m.provider = n.subject_provider)
                 AND (n.subject_channel = '*' OR m.channel = n.subject_channel)
                 AND m.code = n.subject_code
           )
           WHEN 'carrier' THEN EXISTS (
               SELECT 1 FROM week_messages m WHERE m.carrier = lower(trim(n.subject))
           )
           WHEN 'campaign' THEN EXISTS (
               SELECT 1 FROM week_messages m WHERE m.campaign = lower(trim(n.subject))
           )
       END)
ORDER BY CASE n.scope WHEN 'week' THEN 0 ELSE 1 END, n.created_at, n.note_id
