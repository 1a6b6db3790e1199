-- A delivery counts as sent from its first accepted batch.
-- Grain: one row per delivery. Parameters: $id.
update deliveries set sent_at = coalesce(sent_at, current_timestamp) where delivery_id = $id
