-- Cross-tab step 1b: the friends counted, whether each has the outcome, and the two columns the
-- route and add-month dimensions read, into the temp table ct_cohort (this cursor's own).
-- Friends first added in the period (a known add date: friends known only from LINE's follower
-- list, added_by 'sync', are left out; the route filter applies).
-- Grain: one row per friend counted: user_key, hit, route ('unknown' when not known), follow_day
-- (the first add's day, account time zone).
-- Parameters: $outcome (blocked_30d, reacted, purchased, following), $days (N of "purchased within
-- N days of the add"), $start, $end (the period, half-open), $routes (varchar[]; empty = all),
-- $as_of (the data's end). Reads ct_unfollowed (crosstab/unfollowed*.sql: who does not follow
-- now, for the outcome "still following"; empty for the others).
-- Definitions: blocked_30d = a block within 30 days (30 × 24 hours) of the first add, among friends
-- added at least 30 days before $as_of; purchased = a purchase or conversion within $days days of
-- the add, among friends added at least $days days before $as_of; reacted = a per-user reaction
-- (message, postback, rich-menu tap, survey answer, tracked-link click) in the period after the
-- add: the first reaction at or after the add (rollup_friend_firsts.first_reaction_at) before the
-- period's end — every friend counted was added in the period; following = following now. (Durations are compared as microseconds since the epoch: the same instants, without
-- time-zone arithmetic per friend.)
create or replace temp table ct_cohort as
with cohort as (
    select x.user_key, x.followed_at, x.first_blocked_at, x.first_purchase_at, x.first_reaction_at,
           coalesce(x.inflow_route, 'unknown') as route, x.follow_day
    from rollup_friend_firsts x
    where x.followed_at >= $start and x.followed_at < $end
      and x.user_key not in (select user_key from friends where added_by = 'sync')
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], coalesce(x.inflow_route, 'unknown')))
      and ($outcome <> 'blocked_30d' or x.followed_at <= $as_of - interval 30 day)
      and ($outcome <> 'purchased' or x.followed_at <= $as_of - to_days($days::integer))
)
select c.user_key,
       case $outcome
           when 'blocked_30d' then coalesce(epoch_us(c.first_blocked_at) - epoch_us(c.followed_at)
                                            < 30 * 86400000000, false)
           when 'purchased' then coalesce(epoch_us(c.first_purchase_at) - epoch_us(c.followed_at)
                                          < $days::bigint * 86400000000, false)
           when 'reacted' then coalesce(c.first_reaction_at < $end, false)
           else u.user_key is null end as hit,
       c.route, c.follow_day
from cohort c
left join ct_unfollowed u on u.user_key = c.user_key
