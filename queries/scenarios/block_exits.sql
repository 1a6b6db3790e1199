-- Friends who blocked the account (an unfollow in scan_events) after their (re-)entry leave the
-- scenario at their block. Grain: one row per enrolment that exits. Parameters: $sid; reads scan_events.
update scenario_enrolments e
set status = 'exited', exit_reason = 'blocked', exited_at = b.blocked_at, next_due_at = null, reply_token = null
from (select user_key, max(occurred_at) as blocked_at from scan_events where type = 'unfollow' group by user_key) b
where e.scenario_id = $sid and e.status = 'active' and e.user_key = b.user_key
  and e.user_key in (select user_key from scan_events where type = 'unfollow')
  and b.blocked_at >= coalesce(e.entered_at, e.enrolled_at)
