-- Interest level x genre: how many friends in each cell (seed 002: send by interest x genre).
-- Grain: one row per interest level and genre ('none' when nothing points to a genre).
-- Parameters: none; reads the temp table segment_members (user_key).
-- Definitions: both as of the last rollup refresh; see queries/rollups/friend_activity.sql.
with final as (
    select coalesce(a.interest_level, 'dormant') as interest_level,
           coalesce(a.genre, 'none') as genre, count(*) as friends
    from segment_members m
    left join rollup_friend_activity a on a.user_key = m.user_key
    group by all
)
select * from final order by interest_level, genre
