-- LINE sync, followers: friends we hold as following whom LINE's list leaves out. They are counted,
-- not changed: usually their unfollow (block) webhook was missed, but LINE also leaves out users who
-- have not consented to share their profile and users not on LINE for iOS or Android, so absence
-- is no proof of a block. Friends whose latest follow came after the listing started are not
-- counted (the list may predate them).
-- Grain: one row: the number of such friends. Parameters: $listing_started.
select count(*) as unlisted
from friends f
where f.is_following
  and coalesce(f.last_followed_at, f.followed_at) < $listing_started
  and not exists (select 1 from sync_follower_ids l where l.user_id = f.user_id)
