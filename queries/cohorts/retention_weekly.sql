-- Retention by add week: of the friends who first added in a week, the share still following
-- 1, 2, … 12 weeks after their own add.
-- Grain: one row per add week (Monday, account time zone) in [start, end) and week number 1–12.
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions: "still following w weeks later" = not blocked within w×7 days of the add (a block
-- later undone by a re-follow still counts as lost). A week number is only computed when every
-- friend of the cohort has been followed for w weeks by $end; otherwise the cell is empty.
-- The first block after the add and the add week come from rollup_friend_firsts.
-- Friends known only from LINE's follower list (friends.added_by = 'sync') have no known add date:
-- their followed_at is when sync first saw them, so they are never adds here (issue 11).
with f as (
    select f.follow_week as add_week,
           f.followed_at,
           (epoch(coalesce(f.first_blocked_at, $end)) - epoch(f.followed_at)) / 86400.0 as days_kept
    from rollup_friend_firsts f  -- one row per friend, with the add time and route
    where f.followed_at >= $start and f.followed_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
      and not exists (select 1 from friends s where s.user_key = f.user_key and s.added_by = 'sync')
),
buckets as (
    select add_week, least(floor(days_kept / 7), 13)::integer as kept_weeks,
           count(*) as friends, max(followed_at) as last_add
    from f group by all
),
per_week as (
    select b.add_week, w.week,
           sum(b.friends)::bigint as size,   -- sum() is a hugeint: pandas would make it a float
           sum(b.friends) filter (where b.kept_weeks >= w.week)::bigint as still,
           epoch(max(b.last_add)) + w.week * 7 * 86400 <= epoch($end) as complete
    from buckets b cross join range(1, 13) w(week)
    group by b.add_week, w.week
),
final as (
    select add_week::date as add_week, size, week::integer as week,
           case when complete then coalesce(still, 0) / size end as retention
    from per_week
)
select * from final order by add_week, week
