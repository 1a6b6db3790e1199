-- Adds and blocks per day, in the account's time zone.
-- Grain: one row per day of [start, end) that had an add or a block.
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions: adds = follow events (first adds and re-follows after a block); blocks = unfollow
-- events. Both are filtered by the friend's inflow route.
with e as (
    select e.occurred_at::date as day, e.type
    from events e
    join friends f on f.user_key = e.user_key
    where e.type in ('follow', 'unfollow')
      and e.occurred_at >= $start and e.occurred_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
),
final as (
    select day,
           count(*) filter (where type = 'follow') as adds,
           count(*) filter (where type = 'unfollow') as blocks
    from e
    group by day
)
select * from final order by day
