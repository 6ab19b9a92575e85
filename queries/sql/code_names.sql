-- What does each (provider, channel, code) mean? The catalog entry joins use: the exact
-- channel's entry, else the provider's '*' entry. Only variant 0 (the primary meaning).
-- Grain: one row per catalog key (provider, channel, code), channel '*' included.
-- Parameters: none.
SELECT provider, channel, code, name, description, advice, advice_from, link, category,
       outcome, final, retryable, origin
FROM codes
WHERE variant = 0
