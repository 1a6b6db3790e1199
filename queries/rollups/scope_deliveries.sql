-- Incremental rollups (rollups.apply): the deliveries whose rollup_delivery_route rows a write may
-- have changed, to be redone:
--   sent in the 7 days before the first event written (a reaction counts for 24 h after a send, a
--   purchase for 7 days);
--   $deliveries: broadcasts whose estimated recipients the write changed (the loader compares them
--   before and after: a block recorded later moves blocked_at past sends long before the event);
--   any delivery sent to a friend new or rerouted ($keys), or reacted to by a friend rerouted
--   ($rerouted; a new friend's earlier events have no user_key).
-- Grain: one row per delivery (temp._rollup_deliveries). Parameters: $sent_from (timestamptz), $deliveries (varchar[]),
--   $keys, $rerouted (integer[]).
create or replace temp table _rollup_deliveries as
select delivery_id from deliveries where sent_at >= $sent_from::timestamptz
union
select unnest($deliveries::varchar[])
union
select r.delivery_id from delivery_recipients r join friends f on f.user_id = r.user_id
where len($keys::integer[]) > 0 and f.user_key in (select unnest($keys::integer[]))
union
select delivery_id from events  -- the len() guards skip the scans when nobody is new or rerouted
where len($rerouted::integer[]) > 0 and delivery_id is not null and user_key in (select unnest($rerouted::integer[]))
