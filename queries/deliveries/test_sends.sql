-- Test sends (to staff, before a real send), listed apart from deliveries: they reach no friend,
-- but LINE counts each recipient against the monthly quota.
-- Grain: one row per test send sent in [start, end), newest first.
-- Parameters: $start, $end (timestamptz).
-- Definitions:
--   recipients  sent count (messages billed against the quota).
with final as (
    select delivery_id, sent_at, title, status, coalesce(sent_count, 0)::bigint as recipients
    from deliveries
    where kind = 'test' and sent_at >= $start and sent_at < $end
)
select * from final order by sent_at desc
