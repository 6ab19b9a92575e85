-- Which carrier names in the data does the carrier table not know? They pass through as the
-- provider wrote them (deliverability/carriers.py), so each may split a network's numbers:
-- add its spelling to the table, or to your own file (DELIVERABILITY_CARRIERS_EXTRA).
-- Counted from the daily rollup (every message once, by its canonical carrier).
-- Grain: one row per (country, carrier name) not in the carrier table, most messages first.
-- Parameters: none.
WITH canonical AS (
    SELECT DISTINCT carrier FROM carriers
),
counted AS (
    SELECT country, carrier, sum(messages) AS messages
    FROM rollup_dims_day
    WHERE carrier IS NOT NULL
    GROUP BY ALL
),
final AS (
    SELECT country, carrier, CAST(messages AS BIGINT) AS messages
    FROM counted
    ANTI JOIN canonical USING (carrier)
)
SELECT * FROM final ORDER BY messages DESC, country, carrier
