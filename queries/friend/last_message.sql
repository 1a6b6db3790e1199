-- The friend's latest message event with its reply token (LINE's replyToken in the webhook JSON):
-- a reply is possible when they wrote less than a minute ago (LINE_API_NOTES: a reply token is valid
-- about one minute and can be used once).
-- Grain: one row or none. Parameters: $user_key.
select occurred_at, json_extract_string(payload, '$.replyToken') as reply_token, event_id
from events
where user_key = $user_key::integer and type = 'message'
order by occurred_at desc
limit 1
