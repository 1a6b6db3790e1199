-- A delivery's status, planned size and stop reason (why it stopped, paused or failed).
-- Grain: one row per delivery (none when it does not exist).
-- Parameters: $id (delivery_id).
select status, planned_count, error from deliveries where delivery_id = $id
