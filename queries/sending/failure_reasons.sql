-- Why a delivery's recipients failed, in LINE's words.
-- Grain: one row per failure reason, with its recipients. Parameters: $id (delivery_id).
select error, count(*) from delivery_recipients where delivery_id = $id and status = 'failed' group by 1
