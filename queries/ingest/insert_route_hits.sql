-- Loader step 7a: route-link hits (/f/<route>), once each. Grain: one row per hit. Parameters: none.
insert into route_hits (hit_id, route, hit_at)
select id, any_value(route), min(received_at)
from _ingest_records
where kind = 'route_hit' and reason is null and id is not null
  and length(route) between 1 and 40
group by all
on conflict (hit_id) do nothing
returning route, hit_at
