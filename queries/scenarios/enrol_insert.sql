-- Manual enrolment of the previewed friends, all with day 0 = $now and step 0 due at $due.
-- Grain: one row per new enrolment. Parameters: $sid, $now, $due, $by; reads segment_members.
insert into scenario_enrolments (scenario_id, user_id, user_key, step_no, status, next_due_at, enrolled_at, entered_at,
                                 enrolled_by)
select $sid, m.user_id, m.user_key, 0, 'active', $due, $now, $now, $by
from segment_members m
where not exists (select 1 from scenario_enrolments e where e.scenario_id = $sid and e.user_id = m.user_id)
on conflict do nothing
