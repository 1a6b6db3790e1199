-- Blocks in a period.
-- Grain: one row.
-- Parameters: $start, $end (timestamptz, [start, end)), $routes (varchar[]; empty = all).
-- Definition: blocks = unfollow events in the period (a user who blocks twice counts twice);
-- blockers = distinct users among them.
with final as (
    select count(*) as blocks, count(distinct e.user_key) as blockers
    from events e
    join friends f on f.user_key = e.user_key
    where e.type = 'unfollow'
      and e.occurred_at >= $start and e.occurred_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
)
select * from final
