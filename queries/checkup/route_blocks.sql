-- Check-up rule "route_blocks" (seed 000: friends who add for a coupon and block at once): an inflow
-- route whose 7-day block rate is far above the account's.
-- Grain: one row per route (unknown routes as 'unknown') whose rate is above $factor × the account's,
--   with at least $min_adds adds.
-- Parameters: $as_of (timestamptz), $days (integer), $factor (double), $min_adds (integer).
-- Definitions: the adds are first adds in the $days days that end 7 days before $as_of (so that each
--   was watched for its whole first week); 7-day block rate = share of them who blocked within 7 days of
--   adding (their first block, as on the Acquisition page); the account's rate is the same over every
--   route's adds together. Friends known only from LINE's follower list have no add date: left out.
with f as (
    select coalesce(ff.inflow_route, 'unknown') as route,
           epoch(ff.first_blocked_at) - epoch(ff.followed_at) < 7 * 86400 as blocked_7d
    from rollup_friend_firsts ff
    where ff.followed_at >= $as_of - to_days(($days + 7)::integer)
      and ff.followed_at < $as_of - interval 7 day
      and not exists (select 1 from friends s where s.user_key = ff.user_key and s.added_by = 'sync')
),
per_route as (
    select route, count(*) as adds, count(*) filter (where blocked_7d) as blocked
    from f
    group by route
),
account as (
    select sum(adds) as adds, sum(blocked) as blocked from per_route
),
final as (
    select p.route, p.adds, p.blocked, p.blocked / p.adds as block_rate_7d,
           a.adds as account_adds, a.blocked as account_blocked, a.blocked / a.adds as account_rate_7d
    from per_route p, account a
)
select * from final
where adds >= $min_adds and blocked > 0 and block_rate_7d > $factor * account_rate_7d
order by block_rate_7d desc, route
