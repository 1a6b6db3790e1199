-- Recipients of a plan who got, or are getting, the very same messages in the last 24 hours
-- (a second tab, a second click on a new draft, a send repeated by mistake). Test sends do not count.
-- Grain: one row, the number of such recipients.
-- Parameters: $dup_messages (the messages as JSON text, as sending.plan stores them);
-- reads the temp table plan_audience (user_key, user_id) materialised from the plan's audience.
select count(distinct r.user_id) as repeated
from delivery_recipients r
join deliveries d on d.delivery_id = r.delivery_id
where d.kind <> 'test' and d.messages::varchar = $dup_messages
  and d.created_at >= current_timestamp - interval 24 hour
  and d.status not in ('failed', 'cancelled') and r.status in ('sent', 'planned')
  and r.user_id in (select user_id from plan_audience)
