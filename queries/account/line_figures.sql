-- LINE's own friend numbers beside ours, for the Overview (issue 11): an account older than the
-- dashboard has friends we have never seen, and LINE's Insight counts them.
-- Grain: one row. LINE's columns are null until sync has fetched a ready insight day.
-- Parameters: none.
-- Definitions:
--   line_day, line_followers, line_targeted_reaches, line_blocks
--                     the latest insight_followers day with numbers (LINE's day, UTC+9): friends
--                     ever added (LINE does not subtract blocks), friends LINE can reach with
--                     targeted messages, friends blocking the account that day.
--   known             friends in our friends table (ever followed, blocked ones included).
--   known_following   of those, following now; known_blocked: not following now.
--   sync_only         friends known only from LINE's follower list (added_by 'sync'): no known
--                     add date, never counted as new friends.
with line as (
    select day as line_day, followers as line_followers, targeted_reaches as line_targeted_reaches,
           blocks as line_blocks
    from insight_followers
    where followers is not null
    order by day desc
    limit 1
),
ours as (
    select count(*) as known,
           count(*) filter (where is_following) as known_following,
           count(*) filter (where not is_following) as known_blocked,
           count(*) filter (where added_by = 'sync') as sync_only
    from friends
),
final as (
    select l.line_day, l.line_followers, l.line_targeted_reaches, l.line_blocks,
           o.known, o.known_following, o.known_blocked, o.sync_only
    from ours o left join line l on true
)
select * from final
