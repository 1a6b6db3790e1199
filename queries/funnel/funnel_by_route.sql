-- The acquisition funnel per inflow route (seed 003): site visits -> friend adds -> first reaction
-- within N days of adding -> purchase within N days of adding.
-- Grain: one row per inflow route.
-- Parameters: $start, $end (timestamptz), $window_days (integer), $routes (varchar[]).
-- Definitions:
--   visits      site_visits (web analytics or route-link hits) on days in [start, end).
--   adds        first adds in [start, end).
--   reacted     of those adds, friends whose first per-user reaction came within $window_days of
--               adding (and before $end).
--   converted   of the reacted, friends who also bought within $window_days of adding (and
--               before $end): each step is a subset of the one before.
--   Adds in the last $window_days of the period have had less time: they are still maturing.
-- Friends known only from LINE's follower list (friends.added_by = 'sync') have no known add date:
-- their followed_at is when sync first saw them, so they are never adds here (issue 11).
with visits as (
    select inflow_route as route, sum(visits) as visits
    from site_visits
    where day >= $start::date and day < $end::date
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], inflow_route))
    group by 1
),
f as (
    select coalesce(f.inflow_route, 'unknown') as route,
           -- epoch seconds: time-zone-aware interval arithmetic per row costs 10x more
           epoch(f.first_reaction_at) < least(epoch(f.followed_at) + $window_days * 86400, epoch($end)) as reacted,
           epoch(f.first_purchase_at) < least(epoch(f.followed_at) + $window_days * 86400, epoch($end)) as bought
    from rollup_friend_firsts f  -- one row per friend, with the add time and route
    where f.followed_at >= $start and f.followed_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
      and not exists (select 1 from friends s where s.user_key = f.user_key and s.added_by = 'sync')
),
per_route as (
    select route, count(*) as adds,
           count(*) filter (where reacted) as reacted,
           count(*) filter (where reacted and bought) as converted
    from f group by route
),
final as (
    select coalesce(p.route, v.route) as route, coalesce(v.visits, 0)::bigint as visits,
           coalesce(p.adds, 0) as adds, coalesce(p.reacted, 0) as reacted,
           coalesce(p.converted, 0) as converted
    from per_route p full join visits v on v.route = p.route
)
select * from final order by adds desc, route
