-- Friends who followed more than $days days ago, still follow, and have received nothing since:
-- no sent ledger row and no broadcast sent after their follow ("registered, then three weeks of
-- silence"). Friends known only from LINE sync have no known add date and are left out.
-- Grain: one row per inflow route with such friends. Parameters: $now, $days.
select coalesce(f.inflow_route, 'unknown') as inflow_route, count(*) as friends
from friends f
where f.is_following and f.followed_at < $now - to_days($days) and coalesce(f.added_by, '') <> 'sync'
  and not exists (select 1 from delivery_recipients r where r.user_id = f.user_id and r.status = 'sent')
  and not exists (select 1 from deliveries d where d.kind = 'broadcast' and d.status = 'sent' and d.sent_at > f.followed_at)
group by 1 order by friends desc
