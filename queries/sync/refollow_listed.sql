-- LINE sync, followers: friends we hold as blocked whom LINE lists as followers again. LINE's list
-- leaves blocked users out, so being listed proves they follow: their follow (unblock) webhook was
-- missed. Only blocks from before the listing started count; a block during the listing may be
-- newer than the page that listed the user. last_followed_at becomes the time sync saw them.
-- Grain: one update per re-followed friend. Parameters: $seen_at, $listing_started.
update friends set is_following = true, last_followed_at = $seen_at
where not is_following
  and (blocked_at is null or blocked_at < $listing_started)
  and user_id in (select user_id from sync_follower_ids)
