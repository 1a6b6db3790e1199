-- The first planned batch after $after (batch numbers can have gaps after a split).
-- Grain: one row (null when none is left). Parameters: $id (delivery_id), $after.
select min(batch_no) from delivery_recipients where delivery_id = $id and status = 'planned' and batch_no > $after
