-- Friend counts at the edges of a period.
-- Grain: one row.
-- Parameters: $start, $end (timestamptz, period is [start, end)), $routes (varchar[]; empty = all).
-- Definitions:
--   friends         users who had ever added the account before $end (blocked ones included).
--   following_*     friends who follow at that moment: added before it and not blocked as of it.
--                   A block followed by a re-follow (last_followed_at after blocked_at) counts as
--                   following from the re-follow on.
--   new_friends     first adds in [start, end). Friends known only from LINE's follower list
--                   (added_by 'sync') are never new: their followed_at is when sync first saw
--                   them, not their add (issue 11).
--   first_seen_by_sync  friends sync first saw in [start, end): following then, though not new
--                   (with following_start and new_friends, who could block during the period).
with f as (
    select followed_at, last_followed_at, blocked_at, added_by is not distinct from 'sync' as sync_only
    from friends
    where len($routes::varchar[]) = 0 or list_contains($routes::varchar[], inflow_route)
),
final as (
    select
        count(*) filter (where followed_at < $end) as friends,
        count(*) filter (where followed_at < $end
            and (blocked_at is null or blocked_at >= $end or (last_followed_at > blocked_at and last_followed_at < $end)))
            as following_end,
        count(*) filter (where followed_at < $start
            and (blocked_at is null or blocked_at >= $start or (last_followed_at > blocked_at and last_followed_at < $start)))
            as following_start,
        count(*) filter (where followed_at >= $start and followed_at < $end and not sync_only) as new_friends,
        count(*) filter (where followed_at >= $start and followed_at < $end and sync_only) as first_seen_by_sync
    from f
)
select * from final
