-- Re-follows put back into the scenario: at step 0 anew (restart) or at the step where they left (continue).
-- Grain: one row per enrolment. Parameters: $sid; reads the temp frame refollow_rows (user_id, step_no,
-- enrolled_at, entered_at, next_due_at, reply_token, reply_expires_at).
update scenario_enrolments e
set status = 'active', step_no = r.step_no, enrolled_at = r.enrolled_at, next_due_at = r.next_due_at,
    exited_at = null, exit_reason = null, enrolled_by = 'refollow', entered_at = r.entered_at, reply_token = r.reply_token,
    reply_expires_at = r.reply_expires_at
from refollow_rows r
where e.scenario_id = $sid and e.user_id = r.user_id
