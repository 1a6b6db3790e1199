-- One user's compose drafts, last changed first.
-- Grain: one row per draft of $owner. Parameters: $owner.
select draft_id, title, state, updated_at
from compose_drafts
where owner = $owner
order by updated_at desc, draft_id
