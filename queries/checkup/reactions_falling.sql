-- Check-up rule "reactions_falling" (seed 002: friends stop reacting long before they block): reactions
-- per delivery fell $n deliveries in a row.
-- Grain: one row per delivery of the last $n + 1 whose 24 hours are over by $as_of (oldest first),
--   all with fires = true when each of the last $n had a lower rate than the one before it.
-- Parameters: $as_of (timestamptz), $n (integer ≥ 1).
-- Definitions: as the Engagement page's reactions per delivery: friends who reacted to the delivery
--   within 24 h (rollup_delivery_route.reactors_24h) ÷ its sent count; test sends left out; only
--   deliveries sent at least 24 h before $as_of (a younger one is still collecting reactions).
with d as (
    select delivery_id, title, is_promotion, sent_at, sent_count
    from deliveries
    where kind <> 'test' and sent_count > 0 and sent_at <= $as_of - interval 24 hour
    order by sent_at desc, delivery_id desc
    limit $n::integer + 1
),
rates as (
    select d.delivery_id, d.title, d.is_promotion, d.sent_at, d.sent_count as recipients,
           coalesce(sum(r.reactors_24h), 0)::bigint as reactors
    from d
    left join rollup_delivery_route r using (delivery_id)
    group by all
),
steps as (
    select *, reactors / recipients as reaction_rate,
           reactors / recipients < lag(reactors / recipients) over (order by sent_at, delivery_id) as fell
    from rates
),
final as (
    select delivery_id, title, is_promotion, sent_at, recipients, reactors, reaction_rate,
           count(*) over () = $n::integer + 1
               and count(*) filter (where fell) over () = $n::integer as fires
    from steps
)
select * from final order by sent_at, delivery_id
