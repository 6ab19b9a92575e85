-- The messages every view counts, narrowed by the global filters. A table macro, so each
-- query file says FROM filtered_messages(...) and DuckDB still pushes the filters down.
-- since is inclusive, until exclusive, both on message_at (send time, else first event).
-- An empty list means "no filter on this dimension".
-- Grain: one row per message (a messages row) that passes the filters.
-- Parameters: since (inclusive bound on message_at; NULL: open), until (exclusive bound;
--   NULL: open), providers, channels, carriers, countries, campaigns, categories, codes
--   (lists of accepted values; empty: any).
CREATE OR REPLACE TEMP MACRO filtered_messages(
    since, until, providers, channels, carriers, countries, campaigns, categories, codes
) AS TABLE
SELECT *
FROM messages
WHERE (since IS NULL OR message_at >= since)
  AND (until IS NULL OR message_at < until)
  AND (array_length(providers) = 0 OR list_contains(providers, provider))
  AND (array_length(channels) = 0 OR list_contains(channels, channel))
  AND (array_length(carriers) = 0 OR list_contains(carriers, carrier))
  AND (array_length(countries) = 0 OR list_contains(countries, country))
  AND (array_length(campaigns) = 0 OR list_contains(campaigns, campaign))
  AND (array_length(categories) = 0 OR list_contains(categories, category))
  AND (array_length(codes) = 0 OR list_contains(codes, code));
