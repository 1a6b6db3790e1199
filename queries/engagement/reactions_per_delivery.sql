-- Reactions per delivery: of the friends a delivery reached, the share who reacted to it (tracked
-- link click, postback or message attributed to the delivery) within 24 hours.
-- Grain: one row per delivery sent in [start, end).
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions:
--   recipients  without a route filter: the delivery's sent count. With a route filter: the
--               ledger's sent recipients of those routes (multicast, push, test); for a delivery
--               without a ledger (a broadcast, which LINE sends to every follower without telling
--               us who) an estimate: friends of those routes who followed at the send time.
--   reactors    distinct friends with a reaction carrying this delivery_id within 24 h of sending
--               (from rollup_delivery_route).
with d as (
    select delivery_id, title, kind, is_promotion, sent_at, sent_count
    from deliveries
    where sent_at >= $start and sent_at < $end and sent_count > 0
),
ledger as (
    select r.delivery_id,
           count(*) filter (where r.status = 'sent'
                            and list_contains($routes::varchar[], f.inflow_route)) as recipients
    from delivery_recipients r
    join d using (delivery_id)
    left join friends f on f.user_id = r.user_id
    where len($routes::varchar[]) > 0
    group by r.delivery_id
),
estimated as (
    select d.delivery_id, count(f.user_key) as recipients
    from d
    join friends f
      on f.followed_at < d.sent_at
     and (f.blocked_at is null or f.blocked_at >= d.sent_at
          or (f.last_followed_at > f.blocked_at and f.last_followed_at < d.sent_at))
    where len($routes::varchar[]) > 0 and list_contains($routes::varchar[], f.inflow_route)
      and d.delivery_id not in (select delivery_id from ledger)
    group by d.delivery_id
),
reactors as (
    select r.delivery_id, sum(r.reactors_24h) as reactors
    from rollup_delivery_route r
    join d using (delivery_id)
    where len($routes::varchar[]) = 0 or list_contains($routes::varchar[], r.inflow_route)
    group by r.delivery_id
),
final as (
    select d.delivery_id, d.title, d.kind, d.is_promotion, d.sent_at,
           case when len($routes::varchar[]) = 0 then d.sent_count
                else coalesce(l.recipients, e.recipients, 0) end as recipients,
           l.delivery_id is null and len($routes::varchar[]) > 0 as recipients_estimated,
           coalesce(r.reactors, 0)::bigint as reactors
    from d
    left join ledger l using (delivery_id)
    left join estimated e using (delivery_id)
    left join reactors r using (delivery_id)
)
select *, case when recipients > 0 then reactors / recipients end as reaction_rate
from final
order by sent_at
