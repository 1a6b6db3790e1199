-- Loader step 4a: LINE users seen for the first time become friends, with the next integer keys.
-- followed_at is the first follow known; for a user whose follow predates the dashboard (a message
-- or an unfollow arrives first) it is the first time we saw them (added_by 'webhook'), until a
-- follow arrives (update_friends). A friend follows when there is no block, or the latest follow is
-- after the latest block: an unfollow alone (a friend older than the dashboard) is a block.
-- inflow_route comes from route_attributions when the route was learnt before the follow.
-- Only one-to-one sources count: a user who writes in a group the bot is in need not be a friend.
-- Grain: one row per new friend (returns their user_key). Parameters: none.
insert into friends (user_key, user_id, followed_at, last_followed_at, blocked_at, is_following,
                     inflow_route, added_by)
with seen as (
    select user_id,
           min(occurred_at) filter (where type = 'follow') as first_follow,
           max(occurred_at) filter (where type = 'follow') as last_follow,
           max(occurred_at) filter (where type = 'unfollow') as last_block,
           min(occurred_at) as first_seen
    from _ingest_new
    where user_id is not null and source_type = 'user'   -- a group member who writes is no friend
    group by user_id
),
fresh as (
    select s.* from seen s where not exists (select 1 from friends f where f.user_id = s.user_id)
)
select (select coalesce(max(user_key), 0) from friends) + row_number() over (order by first_seen, user_id),
       user_id, coalesce(first_follow, first_seen), last_follow, last_block,
       last_block is null or coalesce(last_follow > last_block, false),
       a.route, 'webhook'
from fresh left join route_attributions a using (user_id)
returning user_key
