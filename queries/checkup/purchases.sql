-- Purchases from LINE: purchases and conversions made by friends (users who ever followed the
-- account) in the period — the goal KPI "purchases from LINE" (seed 001: set KPIs to the purpose).
-- Grain: one row. Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
with final as (
    select count(*) as purchases, coalesce(sum(e.amount), 0)::double as revenue
    from events e
    join friends f on f.user_key = e.user_key
    where e.type in ('purchase', 'conversion')
      and e.occurred_at >= $start and e.occurred_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
)
select * from final
