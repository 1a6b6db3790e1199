-- The segment's members now, remembered: who matches at the next tick and is not here newly matches.
-- Grain: one row per member. Parameters: $sid; reads the temp table segment_members.
insert into scenario_segment_members (scenario_id, user_key)
select distinct $sid, user_key from segment_members where user_key is not null
