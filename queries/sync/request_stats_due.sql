-- LINE sync, request_stats: our narrowcasts and broadcasts (by LINE's request id) whose statistics
-- are worth asking for now, newest first, at most $max. LINE updates them for $settle_days days
-- after the send; once we hold a row of a later day the delivery is final. At most once per day
-- ($today, the account's day). The demo account's deliveries (never sent to LINE) are left out.
-- Grain: one row per delivery. Parameters: $today, $since (oldest sent_at), $settle_days, $max.
select d.delivery_id, d.request_id, d.sent_at
from deliveries d
where d.request_id is not null
  and d.kind in ('narrowcast', 'broadcast')
  and d.sent_at is not null and d.sent_at >= $since
  and d.created_by is distinct from 'demo'
  and not exists (
      select 1 from delivery_stats s
      where s.delivery_id = d.delivery_id
        and (s.day = $today or s.day > d.sent_at::date + $settle_days::integer))
order by d.sent_at desc
limit $max
