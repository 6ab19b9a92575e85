-- What is in the store: messages per provider and channel, with their time range.
-- Grain: one row per (provider, channel) with messages.
-- Parameters: none.
SELECT provider, channel, count(*) AS messages,
       count(*) FILTER (WHERE has_send) AS with_send,
       count(*) FILTER (WHERE event_count > 0) AS with_report,
       min(message_at) AS first_at, max(message_at) AS last_at
FROM messages
GROUP BY ALL
ORDER BY messages DESC, provider, channel NULLS LAST
