-- Saved segments, newest change first.
-- Grain: one row per saved segment. Parameters: none.
select segment_id, name, definition, created_by, created_at, updated_at
from segments
order by coalesce(updated_at, created_at) desc, name
