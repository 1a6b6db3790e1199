-- Check-up rule "silent_friends" (seed 003: "thanks for adding us" and then nothing for three weeks):
-- friends who added the account more than $days days ago and have received nothing since.
-- Grain: one row when there is at least one such friend; none otherwise.
-- Parameters: $as_of (timestamptz), $days (integer).
-- Definitions: following at $as_of, first add before $as_of − days (friends known only from LINE's
--   follower list have no add date: left out); received = a message sent to them in the send ledger
--   (test sends left out), or a broadcast sent while they followed (the rule compiler's "received").
with f as (
    select user_key, followed_at, last_followed_at, blocked_at
    from friends
    where followed_at < $as_of - to_days($days::integer)
      and added_by is distinct from 'sync'
      and (blocked_at is null or blocked_at >= $as_of
           or (last_followed_at > blocked_at and last_followed_at < $as_of))
),
broadcasts as (
    select sent_at from deliveries
    where kind = 'broadcast' and sent_count > 0 and sent_at < $as_of
),
ledger as (
    select distinct r.user_key
    from delivery_recipients r
    join deliveries d on d.delivery_id = r.delivery_id
    where r.status = 'sent' and d.kind <> 'test' and coalesce(r.sent_at, d.sent_at) < $as_of
),
-- A friend never blocked received a broadcast when the last one came after their add (one comparison
-- each: most friends); only friends who blocked (and came back, or block after $as_of) need the
-- broadcasts sent while they followed.
never_blocked as (
    select f.*
    from f
    where f.blocked_at is null
      and not coalesce((select max(sent_at) from broadcasts) > f.followed_at, false)
),
blocked_once as (
    select f.*
    from f
    where f.blocked_at is not null
      and not exists (
          select 1 from broadcasts b
          where f.followed_at < b.sent_at
            and (f.blocked_at >= b.sent_at
                 or (f.last_followed_at > f.blocked_at and f.last_followed_at < b.sent_at)))
),
silent as (
    select * from (select * from never_blocked union all select * from blocked_once) x
    where x.user_key not in (select user_key from ledger where user_key is not null)
),
final as (
    select (select count(*) from silent) as silent,
           (select count(*) from f) as followed_before,
           (select min(followed_at) from silent) as first_add,
           (select max(followed_at) from silent) as last_add
)
select * from final where silent > 0
