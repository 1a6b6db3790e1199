-- A batch's answer: its planned rows become sent, failed or unknown, with LINE's request id and reason.
-- Grain: one row per recipient of the batch. Parameters: $id, $batch, $status, $rid (request id), $error.
update delivery_recipients
set status = $status, request_id = $rid, error = $error,
    sent_at = case when $status = 'sent' then current_timestamp end
where delivery_id = $id and batch_no = $batch and status = 'planned'
