-- A delivery starts (or resumes) sending.
-- Grain: one row per delivery. Parameters: $id.
update deliveries set status = 'sending', error = null where delivery_id = $id
