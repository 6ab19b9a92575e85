-- Which values can each global filter take? The most frequent first, for the sidebar.
SELECT dimension, value, messages FROM (
    SELECT 'provider' AS dimension, provider AS value, count(*) AS messages FROM messages GROUP BY ALL
    UNION ALL SELECT 'channel', channel, count(*) FROM messages GROUP BY ALL
    UNION ALL SELECT 'carrier', carrier, count(*) FROM messages GROUP BY ALL
    UNION ALL SELECT 'country', country, count(*) FROM messages GROUP BY ALL
    UNION ALL SELECT 'campaign', campaign, count(*) FROM messages GROUP BY ALL
)
WHERE value IS NOT NULL
ORDER BY dimension, messages DESC, value
