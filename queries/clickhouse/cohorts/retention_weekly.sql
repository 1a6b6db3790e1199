-- ClickHouse override of queries/cohorts/retention_weekly.sql (same grain, parameters, definitions).
-- Why: DuckDB's range(1, 13) ends before 13; sqlglot writes generate_series(1, 13), which in
-- ClickHouse includes 13 (a 13th week would appear). Here the weeks are arrayJoin(range(1, 13)).
with f as (
    select f.follow_week as add_week,
           f.followed_at,
           (toUnixTimestamp64Micro(toDateTime64(coalesce(f.first_blocked_at, {end:DateTime64(6)}), 6))
            - toUnixTimestamp64Micro(toDateTime64(f.followed_at, 6))) / 1e6 / 86400.0 as days_kept
    from rollup_friend_firsts f
    where f.followed_at >= {start:DateTime64(6)} and f.followed_at < {end:DateTime64(6)}
      and (length({routes:Array(String)}) = 0 or has({routes:Array(String)}, f.inflow_route))
      and f.user_key not in (select s.user_key from friends s where s.added_by = 'sync')
),
buckets as (
    select add_week, toInt32(least(floor(days_kept / 7), 13)) as kept_weeks,
           count() as friends, max(followed_at) as last_add
    from f group by add_week, kept_weeks
),
per_week as (
    select b.add_week as add_week, w.week as week,
           toInt64(sum(b.friends)) as size,
           sumIf(b.friends, b.kept_weeks >= w.week) as still,
           toUnixTimestamp64Micro(toDateTime64(max(b.last_add), 6)) / 1e6 + w.week * 7 * 86400
               <= toUnixTimestamp64Micro(toDateTime64({end:DateTime64(6)}, 6)) / 1e6 as complete
    from buckets b cross join (select arrayJoin(range(1, 13)) as week) w
    group by b.add_week, w.week
),
final as (
    select add_week, size, toInt32(week) as week,
           if(complete, coalesce(still, 0) / size, null) as retention
    from per_week
)
select * from final order by add_week, week
