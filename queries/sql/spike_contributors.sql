-- Which carrier, country, campaign and sender values carry each spike? For every spike
-- (bucket, provider, channel, code) and every value of those four dimensions: the messages
-- and the spiking code's count in the spike's bucket, and the same in the trailing
-- baseline window [bucket - $baseline_days days, bucket). One query for all spikes: the
-- spikes come in as four parallel lists. Only values with the code in the bucket.
-- Grain: one row per (spike, dimension, value) with the spike's code in the spike's bucket;
--   a spike is (period_start, provider, channel, code).
-- Parameters: $spike_periods, $spike_providers, $spike_channels, $spike_codes (the spikes,
--   as parallel lists), $grain ('hour' or 'day': the buckets), $baseline_days (length of
--   the baseline window), $since, $until, $providers, $channels, $carriers, $countries,
--   $campaigns, $categories, $codes (the global filters), $zone (the display time zone the
--   spikes' buckets are cut in).
WITH spikes AS (
    SELECT unnest($spike_periods) AS period_start,
           unnest(CAST($spike_providers AS VARCHAR[])) AS provider,
           unnest(CAST($spike_channels AS VARCHAR[])) AS channel,
           unnest(CAST($spike_codes AS VARCHAR[])) AS code
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
           unnest(['carrier', 'country', 'campaign', 'sender']) AS dimension,
           unnest([m.carrier, m.country, m.campaign, m.sender]) AS value
    FROM filtered_messages(
        $since, $until, $providers, $channels, $carriers, $countries, $campaigns, $categories,
        $codes
    ) m
    WHERE local_time(m.message_at, $zone) >= (SELECT min(period_start) FROM spikes)
                          - to_days(CAST($baseline_days AS INTEGER))
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
     AND c.period_start >= s.period_start - to_days(CAST($baseline_days AS INTEGER))
     AND c.period_start <= s.period_start
    GROUP BY ALL
)
SELECT * FROM per_spike WHERE count > 0
ORDER BY period_start, provider, channel, code, dimension, value
