-- Rollup: adds (follow events, re-follows included) and blocks (unfollow events) per day in the
-- account's time zone and the friend's inflow route.
-- Grain: one row per day and route with at least one add or block. Parameters: none.
select e.occurred_at::date as day, f.inflow_route,
       count(*) filter (where e.type = 'follow') as adds,
       count(*) filter (where e.type = 'unfollow') as blocks
from events e
join friends f on f.user_key = e.user_key
where e.type in ('follow', 'unfollow')
group by all
