-- Recipients in batches tried over 23 hours ago with no answer recorded (LINE forgot their retry keys).
-- Grain: one row. Parameters: $id.
select count(*) from delivery_recipients where delivery_id = $id and status = 'unknown'
