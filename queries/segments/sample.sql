-- A sample of members to check a rule by eye: the same members for the same rule and data.
-- Grain: one row per sampled member (at most $limit).
-- Parameters: $limit (integer); reads the temp table segment_members (user_key). The order is md5(user_id):
-- the same in every engine (DuckDB and ClickHouse hash() differ), so both sample the same friends. user_key opens the
-- friend page (its links carry the key, not the LINE user ID).
with final as (
    select f.user_key, f.user_id, f.display_name, coalesce(f.inflow_route, 'unknown') as route,
           f.followed_at, f.is_following, a.interest_level, a.genre, a.last_reaction_at
    from segment_members m
    join friends f on f.user_key = m.user_key
    left join rollup_friend_activity a on a.user_key = m.user_key
)
select * from final order by md5(user_id), user_id limit $limit
