-- Friends who newly match a segment-triggered scenario's segment: members now (segment_members),
-- following, not members at the last evaluation, not enrolled yet.
-- Grain: one row per friend. Parameters: $sid; reads the temp table segment_members.
select m.user_id, m.user_key, null::varchar as reply_token
from segment_members m join friends f on f.user_id = m.user_id
where f.is_following
  and m.user_key not in (select user_key from scenario_segment_members where scenario_id = $sid)
  and not exists (select 1 from scenario_enrolments e where e.scenario_id = $sid and e.user_id = m.user_id)
order by m.user_id
