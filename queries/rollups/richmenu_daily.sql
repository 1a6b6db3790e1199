-- Rollup: rich-menu taps per day, route and area. Grain: one row per day, route and area.
-- Parameters: none.
select e.occurred_at::date as day, f.inflow_route, coalesce(e.detail, '?') as area,
       count(*) as taps, count(distinct e.user_key) as tappers
from events e
join friends f on f.user_key = e.user_key
where e.type = 'richmenu_tap'
group by all
