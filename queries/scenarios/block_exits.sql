-- Friends who blocked the account after enrolling leave the scenario at their block.
-- Grain: one row per enrolment that exits. Parameters: $sid, $since, $until (the scan window).
update scenario_enrolments e
set status = 'exited', exit_reason = 'blocked', exited_at = b.blocked_at, next_due_at = null, reply_token = null
from (select user_id, max(occurred_at) as blocked_at from events
      where type = 'unfollow' and occurred_at > $since and occurred_at <= $until group by user_id) b
where e.scenario_id = $sid and e.status = 'active' and e.user_id = b.user_id and b.blocked_at >= coalesce(e.entered_at, e.enrolled_at)
