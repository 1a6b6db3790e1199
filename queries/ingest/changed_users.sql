-- Loader step 3b: the LINE users whose friend row this round may change in what broadcasts count
-- (follow dates, block, route): a follow or unfollow, a user not yet a friend, a route learnt (a
-- postback route=, a #keyword message, a LINE Login on a route link), and a friend the webhook
-- found without a follow (its first sighting may move). Everyone else keeps their row.
-- Grain: one row per user. Parameters: none.
create or replace temp table _ingest_changed as
select distinct n.user_id
from _ingest_new n
left join friends f on f.user_id = n.user_id
where n.user_id is not null
  and (n.type in ('follow', 'unfollow') or f.user_id is null or n.route is not null
       or (n.type = 'message' and starts_with(n.message_text, '#'))
       or (f.added_by = 'webhook' and f.last_followed_at is null))
union
select user_id from _ingest_records where kind = 'route_login' and reason is null and user_id is not null
