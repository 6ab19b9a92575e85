-- Which carrier, country, campaign and sender values carry each spike? For every spike
-- (bucket, provider, channel, code) and every value of those four dimensions: the messages
-- and the spiking code's count in the spike's bucket, and the same in the trailing
-- baseline window [bucket - $baseline_days days, bucket). One query for all spikes: the
-- spikes come in as one list of records. Only values with the code in the bucket.
-- Each message is counted once per dimension by a join with the four dimension names, not
-- by unnesting lists side by side: Spark turns paired unnests into a cross product.
-- Grain: one row per (spike, dimension, value) with the spike's code in the spike's bucket;
--   a spike is (period_start, provider, channel, code).
-- Parameters: $spikes (the spikes: a list of records period_start, provider, channel,
--   code), $grain ('hour' or 'day': the buckets), $baseline_days (length of
--   the baseline window), $since, $until, $providers, $channels, $carriers, $countries,
--   $campaigns, $categories, $codes (the global filters), $zone (the display time zone the
--   spikes' buckets are cut in).
WITH spike_records AS (
    SELECT unnest($spikes) AS s
),
spikes AS (
    SELECT CAST(s.period_start AS TIMESTAMP) AS period_start,
           CAST(s.provider AS VARCHAR) AS provider,
           CAST(s.channel AS VARCHAR) AS channel,
           CAST(s.code AS VARCHAR) AS code
    FROM spike_records
),
dimensions AS (
    SELECT * FROM (VALUES ('carrier'), ('country'), ('campaign'), ('sender')) d(dimension)
),
scope AS (
    SELECT date_trunc($grain, local_time(m.message_at, $zone)) AS period_start,
           m.provider, m.channel,
           -- only the spiking codes matter; every other code is just exposure
           CASE WHEN EXISTS (
               SELECT 1 FROM spikes s
               WHERE s.provider = m.provider AND s.channel IS NOT DISTINCT FROM m.channel
                 AND s.code = m.code
           ) THEN m.code END AS code,
           d.dimension,
           CASE d.dimension WHEN 'carrier' THEN m.carrier WHEN 'country' THEN m.country
                            WHEN 'campaign' THEN m.campaign ELSE m.sender END AS value
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    ) m
    CROSS JOIN dimensions d
    WHERE local_time(m.message_at, $zone) >= (SELECT min(period_start) FROM spikes)
                          - CAST($baseline_days AS INTEGER) * INTERVAL 1 DAY
      AND local_time(m.message_at, $zone) < (SELECT max(period_start) FROM spikes)
                          + INTERVAL 1 DAY
      AND EXISTS (
          SELECT 1 FROM spikes s
          WHERE s.provider = m.provider AND s.channel IS NOT DISTINCT FROM m.channel
      )
),
cells AS (
    SELECT period_start, provider, channel, code, dimension, value, count(*) AS messages
    FROM scope
    GROUP BY ALL
),
per_spike AS (
    SELECT s.period_start, s.provider, s.channel, s.code, c.dimension, c.value,
        coalesce(sum(c.messages) FILTER (WHERE c.period_start = s.period_start), 0)
            AS messages,
        coalesce(sum(c.messages) FILTER (
            WHERE c.period_start = s.period_start AND c.code = s.code), 0) AS count,
        coalesce(sum(c.messages) FILTER (WHERE c.period_start < s.period_start), 0)
            AS baseline_messages,
        coalesce(sum(c.messages) FILTER (
            WHERE c.period_start < s.period_start AND c.code = s.code), 0) AS baseline_count
    FROM spikes s
    JOIN cells c
      ON c.provider = s.provider AND c.channel IS NOT DISTINCT FROM s.channel
     AND c.period_start >= s.period_start - CAST($baseline_days AS INTEGER) * INTERVAL 1 DAY
     AND c.period_start <= s.period_start
    GROUP BY ALL
)
SELECT * FROM per_spike WHERE count > 0
ORDER BY period_start, provider, channel, code, dimension, value
