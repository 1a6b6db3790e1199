-- A batch's reply token (batches that carry one hold one recipient), its end, and how it was last tried.
-- Grain: one row per batch. Parameters: $id (delivery_id), $batch.
select any_value(reply_token), any_value(reply_expires_at), any_value(via)
from delivery_recipients
where delivery_id = $id and batch_no = $batch
