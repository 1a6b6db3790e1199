-- The reply token of a friend's latest message, when it is still usable: LINE's reply tokens work
-- once, within one minute of the message (LINE_API_NOTES). A reply ("reply" delivery, one friend)
-- uses it instead of a push, which costs nothing from the monthly quota.
-- Grain: one row or none. Parameters: $user_id, $now (timestamptz).
with latest as (
    select occurred_at, json_extract_string(payload, '$.replyToken') as reply_token
    from events
    where user_id = $user_id and type = 'message'
    order by occurred_at desc
    limit 1
)
select reply_token from latest
where reply_token is not null and occurred_at > $now::timestamptz - interval 1 minute
