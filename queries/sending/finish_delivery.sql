-- A delivery's end (or pause): its status, reason, and sent/failed counts from the ledger.
-- Grain: one row per delivery. Parameters: $id, $status, $error.
update deliveries
set status = $status, error = $error,
    sent_count = (select count(*) from delivery_recipients where delivery_id = $id and status = 'sent'),
    failed_count = (select count(*) from delivery_recipients where delivery_id = $id and status = 'failed'),
    sent_at = coalesce(sent_at, case when $status in ('sent', 'partially_failed') then current_timestamp end)
where delivery_id = $id
