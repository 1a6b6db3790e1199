-- LINE sync, followers: an empty scratch table (this cursor's own) for the user IDs LINE lists,
-- filled page by page; the friends table is only changed once the whole list has arrived.
-- Grain: one row per listed user ID (a user may appear twice if the list moved while paging).
-- Parameters: none.
create or replace temp table sync_follower_ids (user_id varchar not null)
