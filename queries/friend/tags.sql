-- A friend's tags as they stand now, for the friend page's tag editor.
-- Grain: one row per tag of the friend. Parameters: $user_id.
select tag, tagged_at, origin from friend_tags where user_id = $user_id order by tag
