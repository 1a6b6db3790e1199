-- Import write step: new and changed days x routes into site_visits, source 'import' (the loader
-- then leaves them alone: analytics already count the route-link visitors).
-- Grain: one row per day and route written. Parameters: none (reads _import_plan).
insert into site_visits (day, inflow_route, visits, source)
select day, inflow_route, visits, 'import'
from _import_plan
where change in ('insert', 'update')
on conflict (day, inflow_route) do update set visits = excluded.visits, source = excluded.source
