-- Who approved a delivery, on the delivery itself (null again when the approval is voided).
-- Grain: one row per delivery. Parameters: $delivery_id, $approved_by.
update deliveries set approved_by = $approved_by where delivery_id = $delivery_id
