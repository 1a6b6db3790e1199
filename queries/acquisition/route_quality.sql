-- Quality of each inflow route: do the friends it brings stay, react and buy?
-- Grain: one row per inflow route ('unknown' when none) with first adds in [start, end).
-- Parameters: $start, $end (timestamptz: which adds), $as_of (timestamptz: how far we can see,
--   normally the latest data), $routes (varchar[]; empty = all).
-- Definitions (each rate only over friends added early enough to be observed for the whole window
-- by $as_of, so that recent adds do not make a route look better or worse than it is):
--   block_rate_7d / _30d   share who blocked within 7 / 30 days of adding (the first block,
--                          even if they followed again later).
--   reaction_rate_30d      share with at least one per-user reaction within 30 days of adding.
--   conversion_rate_30d    share with a purchase or conversion within 30 days of adding.
-- Blocks, reactions and purchases come from rollup_friend_firsts (the first of each after the add).
-- Friends known only from LINE's follower list (friends.added_by = 'sync') have no known add date:
-- their followed_at is when sync first saw them, so they are never adds here (issue 11).
with f as (
    select coalesce(f.inflow_route, 'unknown') as route,
           f.followed_at <= $as_of - interval 7 day as seen_7d,
           f.followed_at <= $as_of - interval 30 day as seen_30d,
           -- epoch seconds: time-zone-aware interval arithmetic per row costs 10x more
           epoch(f.first_reaction_at) - epoch(f.followed_at) < 30 * 86400 as reacted_30d,
           epoch(f.first_purchase_at) - epoch(f.followed_at) < 30 * 86400 as converted_30d,
           epoch(f.first_blocked_at) - epoch(f.followed_at) as seconds_to_block
    from rollup_friend_firsts f  -- one row per friend, with the add time and route
    where f.followed_at >= $start and f.followed_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
      and not exists (select 1 from friends s where s.user_key = f.user_key and s.added_by = 'sync')
),
final as (
    select route,
           count(*) as adds,
           count(*) filter (where seen_7d) as observed_7d,
           count(*) filter (where seen_7d and seconds_to_block < 7 * 86400) as blocked_7d,
           count(*) filter (where seen_30d) as observed_30d,
           count(*) filter (where seen_30d and seconds_to_block < 30 * 86400) as blocked_30d,
           count(*) filter (where seen_30d and reacted_30d) as reacted_30d,
           count(*) filter (where seen_30d and converted_30d) as converted_30d
    from f
    group by route
)
select route, adds,
       blocked_7d / nullif(observed_7d, 0) as block_rate_7d,
       blocked_30d / nullif(observed_30d, 0) as block_rate_30d,
       reacted_30d / nullif(observed_30d, 0) as reaction_rate_30d,
       converted_30d / nullif(observed_30d, 0) as conversion_rate_30d,
       observed_7d, observed_30d
from final
order by adds desc
