-- Which of a step's friends are at the frequency cap now: the segment rule {"field": "received",
-- "min": $cap, "within_days": 7} of dashboard/audience/rules.py (_received), asked only for the
-- step's friends instead of every friend, so a tick never evaluates it over the whole account.
-- Counted: ledger rows sent, or planned in a live delivery (in flight or scheduled), at their send
-- (or schedule, or planning) time in the 7 days before $now; plus broadcasts sent in those 7 days
-- while the friend was following.
-- Grain: one row per capped friend. Parameters: $now, $cap; reads the temp frame chunk_users (user_id).
with ledger as (
    select r.user_id, count(*) as n
    from delivery_recipients r join deliveries d on d.delivery_id = r.delivery_id
    where r.user_id in (select user_id from chunk_users)
      and (r.status = 'sent' or (r.status = 'planned' and d.status not in ('failed', 'cancelled', 'stopped')))
      and coalesce(r.sent_at, d.scheduled_at, d.created_at) >= $now - to_days(7)
      and coalesce(r.sent_at, d.scheduled_at, d.created_at) < $now
    group by r.user_id
), broadcasts as (
    select f.user_id, count(*) as n
    from friends f
    join deliveries d on d.kind = 'broadcast' and d.status = 'sent' and d.sent_at >= $now - to_days(7)
                     and d.sent_at < $now
    where f.user_id in (select user_id from chunk_users)
      and f.followed_at < d.sent_at
      and (f.blocked_at is null or f.blocked_at >= d.sent_at
           or (f.last_followed_at > f.blocked_at and f.last_followed_at < d.sent_at))
    group by f.user_id
), final as (
    select c.user_id
    from chunk_users c left join ledger l using (user_id) left join broadcasts b using (user_id)
    where coalesce(l.n, 0) + coalesce(b.n, 0) >= $cap
)
select * from final
