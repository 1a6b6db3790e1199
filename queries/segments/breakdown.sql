-- Audience breakdown by inflow route and interest level.
-- Grain: one row per route ('unknown' when none) and interest level with at least one member.
-- Parameters: none; reads the temp table segment_members (user_key) made from the rule.
-- Definitions: interest level as of the last rollup refresh (rollup_friend_activity).
with final as (
    select coalesce(f.inflow_route, 'unknown') as route,
           coalesce(a.interest_level, 'dormant') as interest_level,
           count(*) as friends
    from segment_members m
    join friends f on f.user_key = m.user_key
    left join rollup_friend_activity a on a.user_key = m.user_key
    group by all
)
select * from final order by route, interest_level
