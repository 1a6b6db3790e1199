-- When friends arrive: first adds by weekday and hour, in the account's time zone (seed 003).
-- Grain: one row per weekday (1 = Monday … 7 = Sunday) and hour (0–23) with at least one add.
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Friends known only from LINE's follower list (friends.added_by = 'sync') have no known add date:
-- their followed_at is when sync first saw them, so they are never adds here (issue 11).
with f as (
    select followed_at
    from friends
    where followed_at >= $start and followed_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], inflow_route))
      and added_by is distinct from 'sync'
),
final as (
    select isodow(followed_at) as weekday, extract(hour from followed_at)::integer as hour,
           count(*) as adds
    from f
    group by all
)
select * from final order by weekday, hour
