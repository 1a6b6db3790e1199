-- LINE sync, profiles: a friend's display name from LINE's profile, unless one arrived meanwhile.
-- Grain: one update per friend. Parameters: $user_id, $display_name.
update friends set display_name = $display_name
where user_id = $user_id and display_name is null
