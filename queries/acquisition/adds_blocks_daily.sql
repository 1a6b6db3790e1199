-- Adds and blocks per day, in the account's time zone.
-- Grain: one row per day of [start, end) that had an add or a block.
-- Parameters: $start, $end (timestamptz, midnights in the account's time zone), $routes
--   (varchar[]; empty = all).
-- Definitions: adds = follow events (first adds and re-follows after a block); blocks = unfollow
-- events. Both are filtered by the friend's inflow route (from rollup_daily_route).
with final as (
    select day, sum(adds)::bigint as adds, sum(blocks)::bigint as blocks
    from rollup_daily_route
    where day >= $start::date and day < $end::date
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], inflow_route))
    group by day
)
select * from final order by day
