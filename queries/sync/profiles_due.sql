-- LINE sync, profiles: friends following without a display name, at most $max per run. The order
-- is a hash salted per run, so friends whose profile LINE refuses (404: blocked, no friend, no
-- consent) do not take the same places every run and the others get their turn.
-- Grain: one row per friend to look up. Parameters: $salt, $max.
select user_id
from friends
where is_following and display_name is null
order by hash(user_id || $salt)
limit $max
