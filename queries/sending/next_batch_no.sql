-- The batch number after a delivery's last one (new batches of a split are numbered from it).
-- Grain: one row. Parameters: $id (delivery_id).
select max(batch_no) + 1 from delivery_recipients where delivery_id = $id
