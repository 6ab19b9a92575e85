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
           string_split(n.subject, ':') AS parts
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
               WHERE (n.parts[1] = '*' OR m.provider = n.parts[1])
                 AND (n.parts[2] = '*' OR m.channel = n.parts[2])
                 AND m.code = array_to_string(list_slice(n.parts, 3, len(n.parts)), ':')
           )
           WHEN 'carrier' THEN EXISTS (
               SELECT 1 FROM week_messages m WHERE m.carrier = lower(trim(n.subject))
           )
           WHEN 'campaign' THEN EXISTS (
               SELECT 1 FROM week_messages m WHERE m.campaign = lower(trim(n.subject))
           )
       END)
ORDER BY CASE n.scope WHEN 'week' THEN 0 ELSE 1 END, n.created_at, n.note_id
