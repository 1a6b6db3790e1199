-- Friends who left a scenario by blocking and followed again later (in the scan window): the
-- scenario's re-follow policy says what happens (restart, continue, nothing).
-- Grain: one row per such enrolment (the latest follow). Parameters: $sid, $since, $until.
with follows as (
    select user_id, max(occurred_at) as occurred_at, arg_max(payload->>'replyToken', occurred_at) as reply_token
    from events where type = 'follow' and occurred_at > $since and occurred_at <= $until group by user_id
)
select e.user_id, e.step_no, e.enrolled_at, f.occurred_at, f.reply_token
from scenario_enrolments e join follows f using (user_id)
where e.scenario_id = $sid and e.status = 'exited' and e.exit_reason = 'blocked' and f.occurred_at > e.exited_at
order by e.user_id
