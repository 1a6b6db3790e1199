-- The next due enrolments of a scenario at step $top or before, the last step first and in a step the
-- oldest due first, with what decides whether they exit:
-- following now, a purchase / conversion since the enrolment (of the types the scenario exits on),
-- an exit tag added since the enrolment.
-- Grain: one row per due enrolment (at most $chunk). Parameters: $sid, $top (step_no), $now, $chunk, $exit_types
-- (event types, list), $exit_tags (list).
with due as (
    select * from scenario_enrolments
    where scenario_id = $sid and step_no <= $top and status = 'active' and next_due_at <= $now
    order by step_no desc, next_due_at, user_id
    limit $chunk
), final as (
    select d.user_id, d.user_key, d.step_no, d.enrolled_at, d.next_due_at, d.reply_token, d.reply_expires_at,
           coalesce(f.is_following, false) as following, f.blocked_at,
           (select min(ev.occurred_at) from events ev
            where len($exit_types) > 0 and ev.user_key = d.user_key and list_contains($exit_types, ev.type)
              and ev.occurred_at >= coalesce(d.entered_at, d.enrolled_at) and ev.occurred_at <= $now) as converted_at,
           (select min(t.tagged_at) from friend_tags t
            where len($exit_tags) > 0 and t.user_id = d.user_id and list_contains($exit_tags, t.tag)
              and t.tagged_at >= coalesce(d.entered_at, d.enrolled_at)) as tagged_at
    from due d left join friends f on f.user_key = d.user_key
)
select * from final order by step_no desc, next_due_at, user_id
