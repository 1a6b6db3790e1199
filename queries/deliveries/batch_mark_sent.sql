-- A sender's decision on a batch whose answer was lost over 23 h ago: count it as sent (they have
-- checked, e.g. in LINE's statistics, that LINE accepted it). Only 'unknown' rows change.
-- Grain: one update per recipient of the batch. Parameters: $delivery_id, $batch_no, $note.
update delivery_recipients set status = 'sent', sent_at = attempted_at, error = $note
where delivery_id = $delivery_id and batch_no = $batch_no and status = 'unknown'
