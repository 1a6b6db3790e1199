-- One compose draft, only when $owner wrote it (nobody opens another user's draft).
-- Grain: one row or none. Parameters: $draft_id, $owner.
select draft_id, title, state, updated_at
from compose_drafts
where draft_id = $draft_id and owner = $owner
