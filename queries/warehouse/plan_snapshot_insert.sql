-- Keep one plan's audience as read from the warehouse (the Arrow table registered as plan_rows:
-- user_key, user_id, the final recipients after every exclusion).
-- Grain: one row per recipient written. Parameters: $snapshot_id, $taken_at (timestamptz).
insert into plan_snapshots.members (snapshot_id, user_key, user_id, taken_at)
select $snapshot_id, user_key, user_id, $taken_at from plan_rows
