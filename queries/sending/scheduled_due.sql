-- Whether a scheduled delivery's time has come.
-- Grain: one row per delivery. Parameters: $id.
select scheduled_at <= current_timestamp from deliveries where delivery_id = $id
