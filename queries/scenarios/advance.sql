-- Enrolments moved on: to their next step and its due time, completed, or exited — from the temp
-- frame moves. Inside a step's plan transaction for the friends it sends to (sending.plan(also=…)).
-- Grain: one row per enrolment. Parameters: $sid; reads moves (user_key, step_no, status, next_due_at,
-- sent_at, exited_at, exit_reason).
update scenario_enrolments e
set step_no = m.step_no, status = m.status, next_due_at = m.next_due_at,
    last_sent_at = coalesce(m.sent_at, e.last_sent_at), exited_at = m.exited_at, exit_reason = m.exit_reason,
    reply_token = null, reply_expires_at = null
from moves m
where e.scenario_id = $sid and e.user_key = m.user_key and e.status = 'active'   -- integer key: fast at a million
