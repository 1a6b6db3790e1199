-- Loader step 6h: broadcasts whose estimated recipients changed in this round (a member more, a
-- member less, or a member's route changed): compares the two snapshots of broadcast_members.
-- Grain: one row per broadcast. Parameters: none.
select distinct delivery_id
from ((select * from _ingest_members_before except all select * from _ingest_members_after)
      union all
      (select * from _ingest_members_after except all select * from _ingest_members_before))
