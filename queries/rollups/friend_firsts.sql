-- Rollup: per friend, first per-user reaction, first purchase and first block at or after the
-- first add, and the add's day and week (Monday) in the account's time zone — computed once here
-- because time-zone arithmetic per row is what made cohort pages slow at a million friends. The
-- add time and route are copied here so that cohort questions read this one table. The span of
-- all the friend's events (first_event_at, last_event_at: schema 10) lets the friend page read
-- only the part of the time-ordered events table that can hold them (zone maps skip the rest).
-- Grain: one row per friend. Parameters: $reaction_types (varchar[]).
with firsts as (
    select e.user_key,
           min(e.occurred_at) filter (where list_contains($reaction_types::varchar[], e.type)) as first_reaction_at,
           min(e.occurred_at) filter (where e.type in ('purchase', 'conversion')) as first_purchase_at,
           min(e.occurred_at) filter (where e.type = 'unfollow') as first_blocked_at
    from events e
    join friends f on f.user_key = e.user_key and e.occurred_at >= f.followed_at
    where e.type in ('purchase', 'conversion', 'unfollow') or list_contains($reaction_types::varchar[], e.type)
    group by e.user_key
),
span as (   -- every event of the friend, of any type and time (the friend page reads within it)
    select user_key, min(occurred_at) as first_event_at, max(occurred_at) as last_event_at
    from events
    where user_key is not null
    group by user_key
)
select f.user_key, f.followed_at, f.inflow_route, f.followed_at::date as follow_day,
       date_trunc('week', f.followed_at)::date as follow_week,
       x.first_reaction_at, x.first_purchase_at,
       -- a block recorded on the friend but absent from events (e.g. an import) still counts
       coalesce(x.first_blocked_at, f.blocked_at) as first_blocked_at,
       s.first_event_at, s.last_event_at
from friends f left join firsts x using (user_key) left join span s using (user_key)
