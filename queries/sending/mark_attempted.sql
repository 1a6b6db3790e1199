-- A batch's first attempt, recorded before the first call: the 24-hour clock of its retry key.
-- Grain: one row per recipient of the batch. Parameters: $id, $batch.
update delivery_recipients set attempted_at = current_timestamp where delivery_id = $id and batch_no = $batch
