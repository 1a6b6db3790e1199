-- Rollup: per delivery and inflow route of the friends involved: recipients, friends who reacted
-- within 24 h, and those of them who bought within 7 days of the send.
-- Grain: one row per delivery and route (route null when the friend has none).
-- Parameters: $reaction_types (varchar[]).
-- Definitions:
--   recipients  ledger rows with status 'sent' when the delivery has a ledger (multicast, push,
--               test); otherwise (a broadcast: LINE does not say who got it) friends of the route
--               following at the send time, flagged recipients_estimated.
with d as (
    select delivery_id, sent_at from deliveries where sent_at is not null
),
with_ledger as (
    select distinct delivery_id from delivery_recipients
),
ledger as (
    select r.delivery_id, f.inflow_route, count(*) as recipients
    from delivery_recipients r
    join d using (delivery_id)
    left join friends f on f.user_id = r.user_id
    where r.status = 'sent'
    group by all
),
estimated as (
    select d.delivery_id, f.inflow_route, count(*) as recipients
    from d
    join friends f
      on f.followed_at < d.sent_at
     and (f.blocked_at is null or f.blocked_at >= d.sent_at
          or (f.last_followed_at > f.blocked_at and f.last_followed_at < d.sent_at))
    where d.delivery_id not in (select delivery_id from with_ledger)
    group by all
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
),
reactions as (
    select r.delivery_id, f.inflow_route, count(*) as reactors_24h, count(b.user_key) as converters_7d
    from reactors r
    join friends f on f.user_key = r.user_key
    left join bought b on b.delivery_id = r.delivery_id and b.user_key = r.user_key
    group by all
),
reached as (
    select delivery_id, inflow_route, recipients, false as recipients_estimated from ledger
    union all
    select delivery_id, inflow_route, recipients, true from estimated
)
select coalesce(x.delivery_id, r.delivery_id) as delivery_id,
       coalesce(x.inflow_route, r.inflow_route) as inflow_route,
       coalesce(x.recipients, 0) as recipients,
       coalesce(x.recipients_estimated, r.delivery_id not in (select delivery_id from with_ledger)) as recipients_estimated,
       coalesce(r.reactors_24h, 0) as reactors_24h,
       coalesce(r.converters_7d, 0) as converters_7d
from reached x
full join reactions r
  on r.delivery_id = x.delivery_id and r.inflow_route is not distinct from x.inflow_route
