-- Whether a reply already went to the friend since their latest message: a reply token works once,
-- so a second message to them goes by push.
-- Grain: one row: the number of reply deliveries to them planned at or after $since.
-- Parameters: $user_id, $since (timestamptz: their latest message).
select count(*) as replies
from deliveries d
join delivery_recipients r on r.delivery_id = d.delivery_id
where d.kind = 'reply' and r.user_id = $user_id and d.created_at >= $since::timestamptz
