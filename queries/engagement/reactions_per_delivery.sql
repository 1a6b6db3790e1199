-- Reactions per delivery: of the friends a delivery reached, the share who reacted to it (tracked
-- link click, postback or message attributed to the delivery) within 24 hours.
-- Grain: one row per delivery sent in [start, end), test sends left out (not a delivery to friends).
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions:
--   recipients  without a route filter: the delivery's sent count. With a route filter: the
--               ledger's sent recipients of those routes (multicast, push, test); for a delivery
--               without a ledger (a broadcast, which LINE sends to every follower without telling
--               us who) an estimate: friends of those routes who followed at the send time
--               (recipients_estimated = true).
--   reactors    distinct friends with a reaction carrying this delivery_id within 24 h of sending.
-- Both come from rollup_delivery_route.
with d as (
    select delivery_id, title, kind, is_promotion, sent_at, sent_count
    from deliveries
    where sent_at >= $start and sent_at < $end and sent_count > 0 and kind not in ('test', 'single', 'reply')   -- one-to-one messages (friend page) are no deliveries
),
per_route as (
    select r.delivery_id, sum(r.recipients) as recipients, bool_or(r.recipients_estimated) as estimated,
           sum(r.reactors_24h) as reactors
    from rollup_delivery_route r
    join d using (delivery_id)
    where len($routes::varchar[]) = 0 or list_contains($routes::varchar[], r.inflow_route)
    group by r.delivery_id
),
final as (
    select d.delivery_id, d.title, d.kind, d.is_promotion, d.sent_at,
           case when len($routes::varchar[]) = 0 then d.sent_count
                else coalesce(p.recipients, 0) end::bigint as recipients,
           len($routes::varchar[]) > 0 and coalesce(p.estimated, true) as recipients_estimated,
           coalesce(p.reactors, 0)::bigint as reactors
    from d
    left join per_route p using (delivery_id)
)
select *, case when recipients > 0 then reactors / recipients end as reaction_rate
from final
order by sent_at
