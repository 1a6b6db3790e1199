-- Loader step 3c: the changed friends each broadcast counts (ingest/broadcast_members) before the
-- friend rows change; compared with members_after by changed_broadcasts.
-- Grain: one row per broadcast and route (null: no route) counting a changed friend. Parameters: none.
create or replace temp table _ingest_members_before as
select delivery_id, inflow_route, members from _ingest_members
