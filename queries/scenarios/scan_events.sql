-- The follows and blocks of the scan window, kept for the tick's trigger, block and re-follow
-- questions: a few thousand rows at most, found through the zone maps of the time-ordered events,
-- so those questions never hash a million-row table (the window is what gets hashed).
-- Grain: one row per follow or unfollow event, into the temp table scan_events.
-- Parameters: $since, $until.
create or replace temp table scan_events as
select user_id, user_key, type, occurred_at, payload->>'replyToken' as reply_token
from events
where occurred_at > $since and occurred_at <= $until and type in ('follow', 'unfollow') and user_key is not null
