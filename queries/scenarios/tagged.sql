-- Tags added in the scan window that enrol a friend (tag trigger: the tag $tag; survey trigger: the
-- tag <question>:<answer>, or any tag starting with $prefix for any answer); not enrolled yet.
-- Grain: one row per friend (their first such tag in the window). Parameters: $sid, $since, $until,
-- $tag (or null), $prefix (or null).
with tagged as (
    select t.user_id, min(t.tagged_at) as occurred_at
    from friend_tags t
    where t.tagged_at > $since and t.tagged_at <= $until
      and (t.tag = $tag or ($prefix is not null and starts_with(t.tag, $prefix)))
    group by t.user_id
), final as (
    select g.user_id, fr.user_key, g.occurred_at, null::varchar as reply_token
    from tagged g join friends fr on fr.user_id = g.user_id
    where fr.is_following
      and not exists (select 1 from scenario_enrolments e where e.scenario_id = $sid and e.user_id = g.user_id)
)
select * from final order by occurred_at, user_id
