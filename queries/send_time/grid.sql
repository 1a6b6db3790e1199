-- When to send: reaction rate per message received by weekday × hour of the send (account time
-- zone), from the deliveries sent in the period (tests and one-to-one messages left out).
-- Grain: one row per (weekday, hour) with at least one delivery: deliveries, recipients, reactors.
-- Parameters: $start, $end (the period, half-open, on the send time), $all (true = every friend:
-- recipients from rollup_delivery_route; false = only the members in the temp table
-- segment_members), $reaction_types (varchar[]).
-- Definitions: recipients = the send ledger's sent rows (for a broadcast, which has no ledger: the
-- friends following at the send time, as rollup_delivery_route estimates them); reactors =
-- recipients with a per-user reaction attributed to the delivery within 2 hours of the send;
-- rate = reactors ÷ recipients. weekday: 0 = Monday.
with sent as (
    select delivery_id, kind, sent_at
    from deliveries
    where status in ('sent', 'partially_failed') and sent_at >= $start and sent_at < $end
      and kind not in ('test', 'single', 'reply')
),
everyone as (
    select r.delivery_id, sum(r.recipients)::bigint as recipients
    from rollup_delivery_route r
    where $all and r.delivery_id in (select delivery_id from sent)
    group by r.delivery_id
),
ledger as (
    select r.delivery_id, count(*) as recipients
    from delivery_recipients r
    join sent s on s.delivery_id = r.delivery_id
    join segment_members m on m.user_key = r.user_key
    where not $all and r.status = 'sent' and s.kind <> 'broadcast'
    group by r.delivery_id
),
broadcast as (
    select s.delivery_id, count(*) as recipients
    from sent s
    join segment_members m on true
    join friends f on f.user_key = m.user_key
    where not $all and s.kind = 'broadcast' and f.followed_at < s.sent_at
      and (f.blocked_at is null or f.blocked_at >= s.sent_at
           or (f.last_followed_at > f.blocked_at and f.last_followed_at < s.sent_at))
    group by s.delivery_id
),
recipients as (
    select * from everyone union all select * from ledger union all select * from broadcast
),
reactions as (
    select e.delivery_id, count(distinct e.user_key) as reactors
    from events e
    join sent s on s.delivery_id = e.delivery_id
    where e.occurred_at >= $start and e.occurred_at < $end + interval 2 hour
      and e.occurred_at >= s.sent_at and e.occurred_at < s.sent_at + interval 2 hour
      and list_contains($reaction_types::varchar[], e.type)
      and ($all or e.user_key in (select user_key from segment_members))
    group by e.delivery_id
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
