-- When to send, for every friend: reaction rate per message received by weekday × hour of the send
-- (account time zone), from the deliveries sent in the period (tests and one-to-one messages left
-- out).
-- Grain: one row per (weekday, hour) with at least one delivery: deliveries, recipients, reactors.
-- Parameters: $start, $end (the period, half-open, on the send time).
-- Definitions: recipients = rollup_delivery_route's recipients (the send ledger's sent rows; for a
-- broadcast, which has no ledger, the friends following at the send time, an estimate); reactors =
-- recipients with a per-user reaction (message, postback, rich-menu tap, survey answer,
-- tracked-link click) attributed to the delivery within 2 hours of the send
-- (rollup_delivery_reactors: each friend's first reaction within 24 hours of a delivery);
-- rate = reactors ÷ recipients. weekday: 0 = Monday.
with sent as (
    select delivery_id, kind, sent_at
    from deliveries
    where status in ('sent', 'partially_failed') and sent_at >= $start and sent_at < $end
      and kind not in ('test', 'single', 'reply')
),
recipients as (
    select r.delivery_id, sum(r.recipients)::bigint as recipients
    from rollup_delivery_route r
    where r.delivery_id in (select delivery_id from sent)
    group by r.delivery_id
),
reactions as (
    select x.delivery_id, count(*) as reactors
    from rollup_delivery_reactors x
    join sent s on s.delivery_id = x.delivery_id
    where epoch_us(x.first_reaction_at) < epoch_us(s.sent_at) + 7200000000   -- within 2 hours (the same instants)
    group by x.delivery_id
),
per_delivery as (
    select s.delivery_id, s.sent_at, coalesce(r.recipients, 0) as recipients, coalesce(x.reactors, 0) as reactors
    from sent s
    left join recipients r on r.delivery_id = s.delivery_id
    left join reactions x on x.delivery_id = s.delivery_id
),
final as (
    select isodow(sent_at) - 1 as weekday, hour(sent_at) as hour, count(*) as deliveries,
           sum(recipients)::bigint as recipients, sum(reactors)::bigint as reactors
    from per_delivery
    group by all
)
select * from final order by weekday, hour
