-- Check-up rule "heavy_receivers" (seeds 000, 002: too many messages drive friends away): friends who
-- received more than $n messages in the 7 days before $as_of.
-- Grain: one row when at least one friend did; none otherwise.
-- Parameters: $as_of (timestamptz), $n (integer).
-- Definitions: following at $as_of; a message = one delivery reaching them (LINE counts a request of
--   up to five bubbles as one message per recipient): a ledger row sent in the 7 days (test sends left
--   out), or a broadcast sent in them while they followed (the rule compiler's "received").
with f as (
    select user_key, followed_at, last_followed_at, blocked_at
    from friends
    where followed_at < $as_of
      and (blocked_at is null or blocked_at >= $as_of
           or (last_followed_at > blocked_at and last_followed_at < $as_of))
),
broadcasts as (
    select sent_at from deliveries
    where kind = 'broadcast' and sent_count > 0 and sent_at >= $as_of - interval 7 day and sent_at < $as_of
),
from_broadcasts as (
    select f.user_key, count(*) as n
    from f join broadcasts b on f.followed_at < b.sent_at
        and (f.blocked_at is null or f.blocked_at >= b.sent_at
             or (f.last_followed_at > f.blocked_at and f.last_followed_at < b.sent_at))
    group by f.user_key
),
from_ledger as (
    select r.user_key, count(*) as n
    from delivery_recipients r
    join deliveries d on d.delivery_id = r.delivery_id
    where r.status = 'sent' and d.kind <> 'test'
      and coalesce(r.sent_at, d.sent_at) >= $as_of - interval 7 day and coalesce(r.sent_at, d.sent_at) < $as_of
    group by r.user_key
),
per_friend as (
    select f.user_key, coalesce(b.n, 0) + coalesce(l.n, 0) as received
    from f
    left join from_broadcasts b using (user_key)
    left join from_ledger l using (user_key)
),
final as (
    select count(*) filter (where received > $n) as heavy,
           count(*) as following,
           max(received) as most
    from per_friend
)
select * from final where heavy > 0
