-- Incremental rollups (rollups.apply): the loader's changes to broadcasts' estimated recipients
-- (queries/ingest/changed_broadcasts.sql), summed over its rounds, for the broadcasts whose rows are
-- not redone anyway (temp._rollup_deliveries).
-- Grain: one row per broadcast and route (null: no route). Parameters: $delivery_ids (varchar[]),
--   $routes (varchar[]), $changes (bigint[]): the same length, one change per position.
create or replace temp table _rollup_recipient_changes as
select delivery_id, inflow_route, change
from (select unnest($delivery_ids::varchar[]) as delivery_id, unnest($routes::varchar[]) as inflow_route,
             unnest($changes::bigint[]) as change)
where change <> 0
  and delivery_id not in (select delivery_id from temp._rollup_deliveries)
