-- Blocks in a period.
-- Grain: one row.
-- Parameters: $start, $end (timestamptz, midnights in the account's time zone), $routes
--   (varchar[]; empty = all).
-- Definition: blocks = unfollow events in the period (a user who blocks twice counts twice), from
-- rollup_daily_route.
with final as (
    select coalesce(sum(blocks), 0)::bigint as blocks
    from rollup_daily_route
    where day >= $start::date and day < $end::date
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], inflow_route))
)
select * from final
