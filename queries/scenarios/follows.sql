-- Follows in the scan window that may enrol a friend into a follow-triggered scenario: the friend is
-- not enrolled yet. A follow is new when it is the friend's first (friends.followed_at; LINE's own
-- isUnblocked flag is not guaranteed accurate), else an unblock.
-- Grain: one row per friend (their latest follow in the window). Parameters: $sid, $since, $until,
-- $unblocks (boolean: also unblocks), $routes (list of inflow routes; empty = any).
with follows as (
    select ev.user_id, ev.user_key, ev.occurred_at, ev.payload->>'replyToken' as reply_token,
           row_number() over (partition by ev.user_id order by ev.occurred_at desc) as n
    from events ev
    where ev.type = 'follow' and ev.occurred_at > $since and ev.occurred_at <= $until and ev.user_id is not null
), final as (
    select f.user_id, fr.user_key, f.occurred_at, f.reply_token
    from follows f
    join friends fr on fr.user_id = f.user_id
    where f.n = 1 and fr.is_following
      and ($unblocks or f.occurred_at <= fr.followed_at)
      and (len($routes) = 0 or list_contains($routes, fr.inflow_route))
      and not exists (select 1 from scenario_enrolments e where e.scenario_id = $sid and e.user_id = f.user_id)
)
select * from final order by occurred_at, user_id
