-- Which ISO weeks (Monday 00:00 UTC to the next Monday) hold messages, how many, and when
-- does the store's data end? The review's week picker and its default week read this.
SELECT date_trunc('week', message_at) AS week_start,
       count(*) AS messages,
       min(message_at) AS first_at,
       max(message_at) AS last_at,
       max(max(message_at)) OVER () AS store_last_at
FROM messages
WHERE message_at IS NOT NULL
GROUP BY 1
ORDER BY 1
