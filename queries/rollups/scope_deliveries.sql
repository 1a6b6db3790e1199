-- Incremental rollups (rollups.apply): the deliveries whose rollup_delivery_route rows a write may
-- have changed, to be redone:
--   sent in the 7 days before the first event written (a reaction counts for 24 h after a send, a
--   purchase for 7 days);
--   broadcasts (recipients estimated from the friends following at the send) sent after
--   $friends_since, the earliest add, before or after the write, of a friend whose follow, block or
--   route changed: a block recorded later moves blocked_at past sends long before the event;
--   any delivery sent to, or reacted to by, a friend whose route changed ($keys).
-- Grain: one row per delivery. Parameters: $sent_from, $friends_since (timestamptz), $keys (integer[]).
select delivery_id from deliveries where sent_at >= $sent_from::timestamptz
union
select d.delivery_id from deliveries d
where d.sent_at >= $friends_since::timestamptz
  and not exists (select 1 from delivery_recipients r where r.delivery_id = d.delivery_id)
union
select r.delivery_id from delivery_recipients r join friends f on f.user_id = r.user_id
where f.user_key in (select unnest($keys::integer[]))
union
select delivery_id from events where delivery_id is not null and user_key in (select unnest($keys::integer[]))
