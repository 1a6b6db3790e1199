-- How a batch is being sent (reply or push), recorded before the call: a resume then knows what was tried.
-- Grain: one row per recipient of the batch. Parameters: $id, $batch, $via.
update delivery_recipients set via = $via where delivery_id = $id and batch_no = $batch
