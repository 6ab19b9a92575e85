-- When does the data start and end (message time)?
SELECT min(message_at) AS first_at, max(message_at) AS last_at, count(*) AS messages
FROM messages
