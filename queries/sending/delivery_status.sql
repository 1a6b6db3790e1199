-- A delivery's status.
-- Grain: one row per delivery. Parameters: $id.
select status from deliveries where delivery_id = $id
