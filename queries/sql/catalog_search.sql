-- Which catalog entries match a search text (code, name, description, advice), across
-- providers? How many messages ended on each code is added by queries/messages.py from
-- message_cube.sql (report.counts), so the counts follow the same filters as every other view.
-- Grain: one row per catalog entry (provider, channel, code, variant) that matches.
-- Parameters: $text (the search text; NULL: every entry), $providers (providers to search;
--   empty: all), $category (a catalog category; NULL: any).
SELECT c.provider, c.channel, c.code, c.variant, c.context, c.name, c.description, c.advice,
       c.advice_from, c.link, c.provider_status, c.outcome, c.category, c.final, c.retryable,
       c.source, c.note, c.origin,
       coalesce(c.code = $text, false) AS exact_match
FROM codes c
WHERE ($text IS NULL
       OR c.code ILIKE $text || '%'
       OR c.name ILIKE '%' || $text || '%'
       OR c.description ILIKE '%' || $text || '%'
       OR c.advice ILIKE '%' || $text || '%')
  AND (array_length($providers) = 0 OR list_contains($providers, c.provider))
  AND ($category IS NULL OR c.category = $category)
