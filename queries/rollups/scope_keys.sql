-- Incremental rollups, per friend (rollups.apply): the friends a write touched, whose rows of the
-- per-friend rollups are redone.
-- Grain: one row per friend touched. Parameters: $k (integer[]: their user_keys).
create or replace temp table _rollup_keys as select unnest($k::integer[]) as user_key
