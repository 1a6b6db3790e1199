-- Rollup: per friend, every cross-tab dimension that has one value per friend, with the facts its
-- outcomes are judged by (issue 15: the cross-tab reads this one table instead of joining the
-- cohort to the activity rollup, the friends and the CRM link for each axis). Copied from friends
-- (add time, route, who added, following now, CRM customer ID), rollup_friend_firsts (add day,
-- first reaction, purchase and block at or after the add) and rollup_friend_activity (interest
-- level and genre as of its refresh), so it is made after both of them (rollups.ROLLUPS) and
-- again whenever the activity rollup is rebuilt. The CRM orders themselves are not copied (a
-- customers import may change them without touching the friend): the cross-tab joins customers
-- by customer_id.
-- Grain: one row per friend. Parameters: none.
select f.user_key, f.followed_at, coalesce(f.inflow_route, 'unknown') as route, x.follow_day,
       coalesce(f.added_by = 'sync', false) as from_sync,   -- known only from LINE's follower list
       f.is_following, f.customer_id,
       x.first_reaction_at, x.first_purchase_at, x.first_blocked_at,
       a.interest_level, a.genre
from friends f
left join rollup_friend_firsts x on x.user_key = f.user_key
left join rollup_friend_activity a on a.user_key = f.user_key
