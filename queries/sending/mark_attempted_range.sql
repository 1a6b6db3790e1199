-- The first attempt of several batches at once, recorded before any of them is called: the 24-hour
-- clock of their retry keys (recorded a moment early is on the safe side: the key is resent sooner).
-- Only planned batches never tried before move: a resumed batch keeps its first attempt.
-- Grain: one row per recipient of the batches. Parameters: $id, $lo and $hi (batch_no range, inclusive).
update delivery_recipients set attempted_at = current_timestamp
where delivery_id = $id and batch_no between $lo and $hi and status = 'planned' and attempted_at is null
