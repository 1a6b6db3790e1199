-- Cross-tab step 1 of 3: the friends counted and whether each has the outcome, into the temp table
-- ct_cohort (this cursor's own). Friends first added in the period (known add date; the route
-- filter applies).
-- Grain: one row per friend counted: user_key, hit.
-- Parameters: $outcome (blocked_30d, reacted, purchased, following), $days (N of "purchased within N
-- days of the add"), $start, $end (the period, half-open), $routes (varchar[]; empty = all),
-- $as_of (the data's end). Reads the temp table ct_reacted (crosstab/reacted_*.sql: who reacted in
-- the period; empty unless the outcome is reacted).
-- Definitions: blocked_30d = a block within 30 days of the first add, among friends added at least
-- 30 days before $as_of; purchased = a purchase or conversion within $days days of the add, among
-- friends added at least $days days before $as_of; reacted = a per-user reaction (message, postback,
-- rich-menu tap, survey answer, tracked-link click) in the period; following = following now.
create or replace temp table ct_cohort as
with cohort as (
    select x.user_key, x.followed_at, x.first_blocked_at, x.first_purchase_at, f.is_following
    from rollup_friend_firsts x
    join friends f on f.user_key = x.user_key
    where x.followed_at >= $start and x.followed_at < $end
      and f.added_by is distinct from 'sync'
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], coalesce(x.inflow_route, 'unknown')))
      and ($outcome <> 'blocked_30d' or x.followed_at <= $as_of - interval 30 day)
      and ($outcome <> 'purchased' or x.followed_at <= $as_of - to_days($days::integer))
)
select c.user_key,
       case $outcome
           when 'blocked_30d' then coalesce(c.first_blocked_at < c.followed_at + interval 30 day, false)
           when 'purchased' then coalesce(c.first_purchase_at < c.followed_at + to_days($days::integer), false)
           when 'reacted' then r.user_key is not null
           else c.is_following end as hit
from cohort c
left join ct_reacted r on r.user_key = c.user_key
