-- Manual enrolment: members of the chosen audience (segment_members: the segment's members following
-- now) not enrolled in the scenario before. Grain: one row per friend. Parameters: $sid; reads segment_members.
select m.user_id, m.user_key
from segment_members m
where not exists (select 1 from scenario_enrolments e where e.scenario_id = $sid and e.user_id = m.user_id)
order by m.user_id
