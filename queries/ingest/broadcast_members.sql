-- Loader step 3c (and 6g): how many of the changed friends each broadcast counts among its
-- estimated recipients, per route — run before and after the friend rows change; the differences
-- (ingest/changed_broadcasts) are added to rollup_delivery_route's recipients (rollups.apply). The
-- condition is the one of `estimated` in queries/rollups/delivery_route.sql: keep them the same
-- (tests/test_ingest_property.py compares the incremental rollups with a full rebuild).
-- A temporary view, so that the two snapshots (members_before, members_after) read the same query
-- over the friend rows as they are at each point.
-- Grain: one row per broadcast and route (null: no route) counting a changed friend.
-- Parameters: none.
create or replace temp view _ingest_members as
select d.delivery_id, f.inflow_route, count(*) as members
from deliveries d
join friends f
  on f.followed_at < d.sent_at
 and (f.blocked_at is null or f.blocked_at >= d.sent_at
      or (f.last_followed_at > f.blocked_at and f.last_followed_at < d.sent_at))
where d.sent_at is not null
  and not exists (select 1 from delivery_recipients r where r.delivery_id = d.delivery_id)
  and f.user_id in (select user_id from _ingest_changed)
group by all
