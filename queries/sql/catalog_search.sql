-- Which catalog entries match a search text (code, name, description, advice), across
-- providers, with how many messages in the store ended on that code?
WITH seen AS (
    -- from the hourly rollup (every message once; deliverability/sql/schema.sql)
    SELECT provider, channel, code, sum(messages) AS messages FROM rollup_code_hour
    WHERE code IS NOT NULL GROUP BY ALL
)
SELECT c.provider, c.channel, c.code, c.variant, c.context, c.name, c.description, c.advice,
       c.provider_status, c.outcome, c.category, c.final, c.retryable, c.source, c.note,
       c.origin,
       coalesce((SELECT sum(s.messages) FROM seen s
                 WHERE s.provider = c.provider AND s.code = c.code
                   AND (c.channel = '*' OR s.channel = c.channel)), 0) AS messages
FROM codes c
WHERE ($text IS NULL
       OR c.code ILIKE $text || '%'
       OR c.name ILIKE '%' || $text || '%'
       OR c.description ILIKE '%' || $text || '%'
       OR c.advice ILIKE '%' || $text || '%')
  AND (len($providers) = 0 OR list_contains($providers, c.provider))
  AND ($category IS NULL OR c.category = $category)
ORDER BY (c.code = $text) DESC, messages DESC, c.provider, c.channel, c.code, c.variant
LIMIT $limit
