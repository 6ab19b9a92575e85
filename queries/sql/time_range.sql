-- When does the data start and end (message time)?
-- Grain: one row (the whole store).
-- Parameters: none.
SELECT min(message_at) AS first_at, max(message_at) AS last_at, count(*) AS messages
FROM messages
