-- customAggregationUnits names used since the 1st of this month (UTC, as LINE counts them); test sends aside.
-- Grain: one row, the number of distinct unit names.
-- Parameters: none.
select count(distinct aggregation_unit) as units
from deliveries
where kind not in ('test', 'single', 'reply') and aggregation_unit is not null   -- one-to-one: pushed without a unit
  and created_at >= date_trunc('month', current_timestamp at time zone 'UTC') at time zone 'UTC'
