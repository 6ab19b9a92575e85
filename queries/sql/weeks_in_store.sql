-- Which ISO weeks (Monday 00:00 UTC to the next Monday) hold messages, how many, and when
-- does the store's data end? The review's week picker and its default week read this.
-- Counted from rollup_code_hour (every message once, by the hour of message_at): weeks start
-- on whole hours, so the counts are exact without reading every message.
-- Grain: one row per ISO week with messages.
-- Parameters: none.
SELECT date_trunc('week', hour) AS week_start,
       sum(messages) AS messages,
       (SELECT max(message_at) FROM messages) AS store_last_at
FROM rollup_code_hour
GROUP BY 1
ORDER BY 1
