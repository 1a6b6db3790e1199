-- Follows in the scan window (scan_events) that may enrol a friend into a follow-triggered scenario:
-- the friend follows now and is not enrolled yet. A follow is new when it is the friend's first
-- (friends.followed_at; LINE's own isUnblocked flag is not guaranteed accurate), else an unblock.
-- Grain: one row per friend (their latest follow in the window). Parameters: $sid, $unblocks
-- (boolean: also unblocks), $routes (list of inflow routes; empty = any); reads scan_events.
with latest as (
    select user_key, arg_max(user_id, occurred_at) as user_id, max(occurred_at) as occurred_at,
           arg_max(reply_token, occurred_at) as reply_token
    from scan_events where type = 'follow' group by user_key
), enrolled as (
    select user_key from scenario_enrolments
    where scenario_id = $sid and user_key in (select user_key from latest)
), final as (
    select l.user_id, l.user_key, l.occurred_at, l.reply_token
    from latest l
    join friends fr on fr.user_key = l.user_key
    where fr.user_key in (select user_key from latest)
      and fr.is_following
      and ($unblocks or l.occurred_at <= fr.followed_at)
      and (len($routes) = 0 or list_contains($routes, fr.inflow_route))
      and l.user_key not in (select user_key from enrolled)
)
select * from final order by occurred_at, user_id
