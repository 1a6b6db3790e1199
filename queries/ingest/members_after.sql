-- Loader step 6g: the changed friends each broadcast counts (ingest/broadcast_members) after the
-- friend rows changed; compared with members_before by changed_broadcasts.
-- Grain: one row per broadcast and route (null: no route) counting a changed friend. Parameters: none.
create or replace temp table _ingest_members_after as
select delivery_id, inflow_route, members from _ingest_members
