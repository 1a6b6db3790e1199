-- Remove one tag from one friend (the audit log keeps that it was there and who removed it).
-- Grain: at most one friend_tags row deleted. Parameters: $user_id, $tag.
delete from friend_tags where user_id = $user_id and tag = $tag
