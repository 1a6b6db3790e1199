-- Keep one plan's audience as read from the warehouse (the Arrow table registered as plan_rows:
-- user_key, user_id, in_excluded — the rule's members, before the exclusions DuckDB judges).
-- Grain: one row per member written. Parameters: $snapshot_id, $taken_at (timestamptz).
insert into plan_snapshots.members (snapshot_id, user_key, user_id, in_excluded, taken_at)
select $snapshot_id, user_key, user_id, in_excluded, $taken_at from plan_rows
