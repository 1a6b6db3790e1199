-- Rich-menu taps per day and area (what friends want to know: 料金, 解約方法, 口コミ, クーポン …).
-- Grain: one row per day (account time zone) and area with at least one tap in [start, end).
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions: taps = richmenu_tap events; tappers = distinct friends who tapped that area that
-- day (from rollup_richmenu_daily).
with final as (
    select day, area, sum(taps)::bigint as taps, sum(tappers)::bigint as tappers
    from rollup_richmenu_daily
    where day >= $start::date and day < $end::date
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], inflow_route))
    group by all
)
select * from final order by day, area
