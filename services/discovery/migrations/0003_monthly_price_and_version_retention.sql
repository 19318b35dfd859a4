-- max_price compares prices per month (docs/manifests.md: "MON" as is, "HUR" counts 730 hours).
-- New versions get the column from domain/price.h; this fills it for offerings already indexed.
ALTER TABLE offerings ADD COLUMN monthly_price numeric;
UPDATE offerings SET monthly_price = CASE price_unit WHEN 'MON' THEN price_amount
                                                     WHEN 'HUR' THEN price_amount * 730 END;
CREATE INDEX offerings_monthly_price ON offerings (monthly_price);
DROP INDEX offerings_price;  -- no query filters on the raw amount any more

-- At most ten versions per provider, rejected ones included, the served one always kept
-- (domain/ingest_plan.h); this trims what accumulated before the rule.
DELETE FROM manifest_versions v
 USING (SELECT id, row_number() OVER (PARTITION BY provider_id ORDER BY id DESC) AS newest
          FROM manifest_versions) ranked
 WHERE v.id = ranked.id AND ranked.newest > 10
   AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.current_version = v.id);
