-- The code keys in the data that the catalog does not know. A table macro, shared by
-- uncatalogued_codes.sql (the Catalog page) and uncatalogued_in_period.sql (the review).
-- The catalog is checked once per distinct code key (from event_code_days, kept at ingest:
-- a few thousand rows a month), not once per event. A key is known when the provider's code
-- is catalogued for its channel or for every channel ('*'), or when the upstream network's
-- code is (Chirp on Telnyx).
CREATE OR REPLACE TEMP MACRO unknown_code_keys() AS TABLE
SELECT provider, channel, status_code, upstream_provider, upstream_code
FROM (
    SELECT DISTINCT provider, channel, status_code, upstream_provider, upstream_code
    FROM event_code_days
) k
WHERE NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = k.provider AND c.code = k.status_code
      AND c.channel IN (k.channel, '*')
)
AND NOT EXISTS (
    SELECT 1 FROM codes c
    WHERE c.provider = k.upstream_provider AND c.code = k.upstream_code
      AND c.channel IN (k.channel, '*')
)
