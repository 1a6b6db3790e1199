-- One delivery's status after a decision on a lost batch (dashboard/messaging/unknown_batches.py decide).
-- Grain: one row (or none) for the delivery. Parameters: $id (delivery_id).
select status from deliveries where delivery_id = $id
