-- Loader step 6h: how this round changed each broadcast's estimated recipients per route (a member
-- more, a member less, a member's route changed): the two snapshots of broadcast_members compared.
-- rollups.apply adds the changes to rollup_delivery_route instead of recounting the broadcasts.
-- Grain: one row per broadcast and route (null: no route) whose count changed.
-- Parameters: none.
select coalesce(a.delivery_id, b.delivery_id) as delivery_id,
       coalesce(a.inflow_route, b.inflow_route) as inflow_route,
       (coalesce(a.members, 0) - coalesce(b.members, 0))::bigint as change
from _ingest_members_after a
full join _ingest_members_before b
  on b.delivery_id = a.delivery_id and b.inflow_route is not distinct from a.inflow_route
where coalesce(a.members, 0) <> coalesce(b.members, 0)
