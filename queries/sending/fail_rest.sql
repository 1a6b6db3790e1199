-- The messages themselves were refused: every planned recipient left fails with LINE's reason.
-- Grain: one row per planned recipient. Parameters: $id, $e (the reason).
update delivery_recipients set status = 'failed', error = $e where delivery_id = $id and status = 'planned'
