-- New enrolments, from the temp frame new_enrolments the runner computed their first due time for.
-- A friend already enrolled in the scenario is left as they are. Grain: one row per new enrolment.
-- Parameters: $sid; reads new_enrolments (user_id, user_key, next_due_at, enrolled_at, enrolled_by,
-- reply_token, reply_expires_at).
insert into scenario_enrolments (scenario_id, user_id, user_key, step_no, status, next_due_at, enrolled_at, entered_at,
                                 enrolled_by, reply_token, reply_expires_at)
select $sid, n.user_id, n.user_key, 0, 'active', n.next_due_at, n.enrolled_at, n.enrolled_at, n.enrolled_by, n.reply_token,
       n.reply_expires_at
from new_enrolments n
on conflict do nothing
