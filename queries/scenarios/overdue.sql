-- A paused scenario's steps that fell due during the pause: late = beyond the grace window (due
-- before $before), which the overdue policy skips or shifts; the rest go out when it resumes.
-- Grain: one row per active enrolment due by $now. Parameters: $sid, $before, $now.
select user_key, step_no, enrolled_at, next_due_at, next_due_at < $before as late
from scenario_enrolments
where scenario_id = $sid and status = 'active' and next_due_at <= $now
order by next_due_at, user_id
