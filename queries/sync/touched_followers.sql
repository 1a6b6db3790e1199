-- LINE sync, followers: integer keys of the friends this sync added or re-followed (their
-- last_followed_at is the sync's $seen_at), for the rollups to redo.
-- Grain: one row per friend touched. Parameters: $seen_at.
select user_key
from friends
where last_followed_at = $seen_at
  and user_id in (select user_id from sync_follower_ids)
