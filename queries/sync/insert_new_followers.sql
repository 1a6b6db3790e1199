-- LINE sync, followers: users LINE lists as followers whom we have never seen become friends
-- (added_by 'sync'), with the next integer keys. followed_at and last_followed_at are the time
-- sync first saw them ($seen_at), NOT when they followed: LINE's list carries no dates, and their
-- follow came before our webhook receiver ran (or its webhook was lost). Pages that count friend
-- adds per day should know that these adds are "first seen", not "followed".
-- inflow_route comes from route_attributions when the route was learnt before (LINE Login).
-- Grain: one row per new friend. Parameters: $seen_at.
insert into friends (user_key, user_id, followed_at, last_followed_at, is_following, inflow_route, added_by)
with listed as (
    select distinct user_id from sync_follower_ids
),
fresh as (
    select l.user_id from listed l where not exists (select 1 from friends f where f.user_id = l.user_id)
)
select (select coalesce(max(user_key), 0) from friends) + row_number() over (order by fresh.user_id),
       fresh.user_id, $seen_at, $seen_at, true, a.route, 'sync'
from fresh left join route_attributions a using (user_id)
