-- A sender's decision on a batch whose answer was lost over 23 h ago: send it again knowingly (LINE
-- may have delivered it already), with a new retry key and a fresh 24 h clock. Only 'unknown' rows.
-- Grain: one update per recipient of the batch. Parameters: $delivery_id, $batch_no, $retry_key, $note.
update delivery_recipients set status = 'planned', retry_key = $retry_key, attempted_at = null, error = $note
where delivery_id = $delivery_id and batch_no = $batch_no and status = 'unknown'
