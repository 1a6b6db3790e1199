-- A segment-triggered scenario's remembered members, cleared before the new evaluation is kept.
-- Grain: one row per remembered member. Parameters: $sid.
delete from scenario_segment_members where scenario_id = $sid
