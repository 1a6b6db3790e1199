-- When to send, for one audience: reaction rate per message received by weekday × hour of the send
-- (account time zone), from the deliveries sent in the period (tests and one-to-one messages left
-- out), counting only the audience's members (the temp table segment_members).
-- Grain: one row per (weekday, hour) with at least one delivery: deliveries, recipients, reactors.
-- Parameters: $start, $end (the period, half-open, on the send time).
-- Definitions: recipients = the members' send-ledger rows with status sent (for a broadcast, which
-- has no ledger: the members following at the send time); reactors = recipients with a per-user
-- reaction (message, postback, rich-menu tap, survey answer, tracked-link click) attributed to the
-- delivery within 2 hours of the send (rollup_delivery_reactors: each friend's first reaction
-- within 24 hours of a delivery); rate = reactors ÷ recipients. weekday: 0 = Monday.
-- (The members are looked up with `in`, so that the small side is the one hashed.)
with sent as (
    select delivery_id, kind, sent_at
    from deliveries
    where status in ('sent', 'partially_failed') and sent_at >= $start and sent_at < $end
      and kind not in ('test', 'single', 'reply')
),
ledger as (
    select r.delivery_id, count(*) as recipients
    from delivery_recipients r
    where r.status = 'sent'
      and r.delivery_id in (select delivery_id from sent where kind <> 'broadcast')
      and r.user_key in (select user_key from segment_members)
    group by r.delivery_id
),
members as (
    select f.followed_at, f.blocked_at, f.last_followed_at
    from segment_members m join friends f on f.user_key = m.user_key
),
broadcast as (
    select s.delivery_id, count(*) as recipients
    from members f
    join sent s on f.followed_at < s.sent_at
    where s.kind = 'broadcast'
      and (f.blocked_at is null or f.blocked_at >= s.sent_at
           or (f.last_followed_at > f.blocked_at and f.last_followed_at < s.sent_at))
    group by s.delivery_id
),
recipients as (
    select * from ledger union all select * from broadcast
),
reactions as (
    select x.delivery_id, count(*) as reactors
    from rollup_delivery_reactors x
    join sent s on s.delivery_id = x.delivery_id
    where x.user_key in (select user_key from segment_members)
      and epoch_us(x.first_reaction_at) < epoch_us(s.sent_at) + 7200000000
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
