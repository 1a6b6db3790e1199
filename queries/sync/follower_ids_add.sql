-- LINE sync, followers: one page of GET /v2/bot/followers/ids into the scratch table.
-- Grain: one row per user ID of the page. Parameters: $ids (list of LINE user IDs).
insert into sync_follower_ids
select unnest($ids::varchar[])
