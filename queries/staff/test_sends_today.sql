-- Test sends each of these staff members received (or is about to receive) in the last 24 hours:
-- the frequency cap of test sends. Grain: one row per staff member with at least one.
-- Parameters: $user_ids (list of LINE user IDs), $since.
select r.user_id, count(*) as test_sends
from delivery_recipients r
join deliveries d on d.delivery_id = r.delivery_id
where d.kind = 'test'
  and d.created_at >= $since
  and r.status in ('planned', 'sent')
  and list_contains($user_ids, r.user_id)
group by r.user_id
