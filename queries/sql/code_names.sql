-- What does each (provider, channel, code) mean? The catalog entry joins use: the exact
-- channel's entry, else the provider's '*' entry. Only variant 0 (the primary meaning).
SELECT provider, channel, code, name, description, advice, category, outcome, final,
       retryable, origin
FROM codes
WHERE variant = 0
