-- The reserved attempt was the right password. Grain: one row updated. Parameters: $attempt_id.
update login_attempts set ok = true where attempt_id = $attempt_id
