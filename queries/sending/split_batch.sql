-- One part of a refused batch becomes a new batch with its own new retry key, written before it is sent.
-- Grain: one row per recipient moved. Parameters: $id, $old (the refused batch), $new, $key (new retry key),
-- $note (why), $users (the part's user_ids).
update delivery_recipients
set batch_no = $new, retry_key = $key, attempted_at = null, error = $note
where delivery_id = $id and batch_no = $old and status = 'planned' and list_contains($users, user_id)
