-- A delivery's planned size, when it is already planned (planning the same delivery twice changes nothing).
-- Grain: one row per delivery (none when it does not exist).
-- Parameters: $id (delivery_id).
select planned_count from deliveries where delivery_id = $id
