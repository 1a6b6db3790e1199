-- The friend's integer key from a LINE user ID (the command line names friends by user ID).
-- Grain: one row or none. Parameters: $user_id.
select user_key from friends where user_id = $user_id
