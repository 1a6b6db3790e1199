-- Loader step 7b: new route-link hits counted into site_visits per day (account time zone) and
-- route. A day and route imported from web analytics (source 'import') is left as imported: the
-- analytics count the same visitors.
-- Grain: one row per day and route. Parameters: none (reads _ingest_hits).
insert into site_visits (day, inflow_route, visits, source)
select hit_at::date, route, count(*), 'route_link' from _ingest_hits group by all
on conflict (day, inflow_route) do update
    set visits = site_visits.visits + excluded.visits
    where site_visits.source = 'route_link'
