-- Friends who left a scenario by blocking and followed again later (a follow in scan_events): the
-- scenario's re-follow policy says what happens (restart, continue, nothing).
-- Grain: one row per such enrolment (the latest follow). Parameters: $sid; reads scan_events.
with follows as (
    select user_key, max(occurred_at) as occurred_at, arg_max(reply_token, occurred_at) as reply_token
    from scan_events where type = 'follow' group by user_key
)
select e.user_id, e.step_no, e.enrolled_at, f.occurred_at, f.reply_token
from scenario_enrolments e join follows f using (user_key)
where e.scenario_id = $sid and e.user_key in (select user_key from follows)
  and e.status = 'exited' and e.exit_reason = 'blocked' and f.occurred_at > e.exited_at
order by e.user_id
