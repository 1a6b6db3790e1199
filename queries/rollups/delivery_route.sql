-- Rollup: per delivery and the reacting friends' inflow route, reactors within 24 h and those who
-- bought within 7 days of the send. Grain: one row per delivery and route.
-- Parameters: $reaction_types (varchar[]).
with d as (
    select delivery_id, sent_at from deliveries where sent_at is not null
),
reactors as (
    select e.delivery_id, e.user_key, any_value(d.sent_at) as sent_at
    from events e
    join d on d.delivery_id = e.delivery_id
    where list_contains($reaction_types::varchar[], e.type)
      and e.occurred_at >= d.sent_at and e.occurred_at < d.sent_at + interval 24 hour
    group by e.delivery_id, e.user_key
),
bought as (
    select r.delivery_id, r.user_key
    from reactors r
    where exists (select 1 from events p
                  where p.user_key = r.user_key and p.type in ('purchase', 'conversion')
                    and p.occurred_at >= r.sent_at and p.occurred_at < r.sent_at + interval 7 day)
)
select r.delivery_id, f.inflow_route, count(*) as reactors_24h,
       count(b.user_key) as converters_7d
from reactors r
join friends f on f.user_key = r.user_key
left join bought b on b.delivery_id = r.delivery_id and b.user_key = r.user_key
group by all
