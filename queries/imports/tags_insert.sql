-- Import write step: new tags from the plan, origin 'import'.
-- Grain: one row per friend and new tag. Parameters: none (reads _import_plan).
insert into friend_tags (user_key, user_id, tag, tagged_at, origin)
select user_key, user_id, tag, tagged_at, 'import'
from _import_plan
where change = 'insert'
