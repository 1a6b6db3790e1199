-- LINE sync, unit_stats: our push/multicast deliveries whose per-unit statistics are worth asking
-- LINE for now, newest first, at most $max. LINE's numbers keep growing for $settle_days days after
-- a send; once we hold a row of a later day the delivery is final and not asked again. A delivery
-- is asked at most once per day ($today, the account's day of this run). Test sends and the demo
-- account's deliveries (never sent to LINE) are left out.
-- Grain: one row per delivery. Parameters: $today, $since (oldest sent_at), $settle_days, $max.
select d.delivery_id, d.aggregation_unit, d.sent_at
from deliveries d
where d.aggregation_unit is not null
  and d.sent_at is not null and d.sent_at >= $since
  and d.kind not in ('test', 'single', 'reply')   -- pushes and replies to one friend: no aggregation unit
  and d.created_by is distinct from 'demo'
  and not exists (
      select 1 from delivery_stats s
      where s.delivery_id = d.delivery_id
        and (s.day = $today or s.day > d.sent_at::date + $settle_days::integer))
order by d.sent_at desc
limit $max
