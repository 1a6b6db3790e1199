-- Check-up rule "block_spike" (seeds 000, 002): a send after which friends blocked far more often
-- than that audience usually does.
-- Grain: one row per delivery sent in the $recent_days days before $as_of whose blocks within 24 h
--   are at least $min_blocks and whose block rate is above $factor × the usual rate.
-- Parameters: $as_of (timestamptz), $recent_days, $baseline_days (integer), $factor (double),
--   $min_blocks (integer).
-- Definitions:
--   blocks_24h   block (unfollow) events within 24 h after the send — for a broadcast every block
--                (as the Deliveries page counts it: LINE sends it to every friend), otherwise blocks
--                by the delivery's recipients in the send ledger; test sends left out.
--   block_rate   blocks_24h ÷ the delivery's sent count.
--   usual_rate   the same ratio over the earlier deliveries to the same audience (the same saved
--                segment; without one, the same kind of send) in the $baseline_days days before it:
--                their blocks ÷ their messages sent. With no earlier delivery to that audience, over
--                every earlier delivery in those days (audience_baseline = false).
with d as (
    select delivery_id, title, kind, is_promotion, sent_at, sent_count,
           coalesce(segment_id, 'kind:' || kind) as audience
    from deliveries
    where kind <> 'test' and sent_count > 0 and sent_at < $as_of
      and sent_at >= $as_of - to_days(($recent_days + $baseline_days)::integer)
),
unfollows as (
    select user_key, occurred_at
    from events
    where type = 'unfollow'
      and occurred_at >= $as_of - to_days(($recent_days + $baseline_days)::integer)
      and occurred_at < $as_of + interval 24 hour
),
broadcast_blocks as (
    select d.delivery_id, count(*) as blocks
    from d join unfollows u on u.occurred_at >= d.sent_at and u.occurred_at < d.sent_at + interval 24 hour
    where d.kind = 'broadcast'
    group by d.delivery_id
),
ledger_blocks as (
    select d.delivery_id, count(*) as blocks
    from d
    join delivery_recipients r on r.delivery_id = d.delivery_id and r.status = 'sent'
    join unfollows u on u.user_key = r.user_key
         and u.occurred_at >= d.sent_at and u.occurred_at < d.sent_at + interval 24 hour
    where d.kind <> 'broadcast'
    group by d.delivery_id
),
-- (the columns are named, not d.*: over two joins ClickHouse names d.*'s columns "d.delivery_id")
counted as (
    select d.delivery_id, d.title, d.kind, d.is_promotion, d.sent_at, d.sent_count, d.audience,
           coalesce(b.blocks, l.blocks, 0)::bigint as blocks_24h
    from d
    left join broadcast_blocks b using (delivery_id)
    left join ledger_blocks l using (delivery_id)
),
recent as (
    select * from counted where sent_at >= $as_of - to_days($recent_days::integer)
),
same_audience as (
    select r.delivery_id, sum(p.blocks_24h) as blocks, sum(p.sent_count) as messages, count(*) as deliveries
    from recent r
    join counted p on p.audience = r.audience and p.sent_at < r.sent_at
         and p.sent_at >= r.sent_at - to_days($baseline_days::integer)
    group by r.delivery_id
),
any_audience as (
    select r.delivery_id, sum(p.blocks_24h) as blocks, sum(p.sent_count) as messages, count(*) as deliveries
    from recent r
    join counted p on p.sent_at < r.sent_at and p.sent_at >= r.sent_at - to_days($baseline_days::integer)
    group by r.delivery_id
),
final as (
    select r.delivery_id, r.title, r.kind, r.is_promotion, r.sent_at, r.sent_count, r.blocks_24h,
           r.blocks_24h / r.sent_count as block_rate,
           case when s.delivery_id is not null then s.blocks / s.messages else a.blocks / a.messages end as usual_rate,
           coalesce(s.deliveries, a.deliveries) as usual_deliveries,
           s.delivery_id is not null as audience_baseline
    from recent r
    left join same_audience s using (delivery_id)
    left join any_audience a using (delivery_id)
)
select * from final
where blocks_24h >= $min_blocks and usual_rate is not null and block_rate > $factor * usual_rate
order by sent_at, delivery_id
