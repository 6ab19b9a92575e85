-- Per provider, of the messages sent in [$since, $until): how many have a send log row, and
-- how many of those never got a delivery report? (Messages known only from a report always
-- have one, so only sent messages can lack it.)
-- Grain: one row per provider with messages in the window.
-- Parameters: $since (inclusive), $until (exclusive): the message_at window.
SELECT provider,
       count(*) AS messages,
       count(*) FILTER (WHERE has_send) AS with_send,
       count(*) FILTER (WHERE has_send AND event_count = 0) AS no_report
FROM messages
WHERE message_at >= $since AND message_at < $until
GROUP BY ALL
ORDER BY messages DESC, provider
