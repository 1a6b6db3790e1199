-- Loader step 3b: the LINE users whose friend row this round may change (follow state, first
-- sighting, route): those with a new event, and those who logged in through a route link.
-- Grain: one row per user. Parameters: none.
create or replace temp table _ingest_changed as
select distinct user_id from _ingest_new where user_id is not null
union
select user_id from _ingest_records where kind = 'route_login' and reason is null and user_id is not null
