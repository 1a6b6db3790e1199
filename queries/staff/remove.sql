-- Take a LINE user off the staff list. Grain: at most one row deleted. Parameters: $user_id.
delete from staff_recipients where user_id = $user_id
