-- Rename a saved segment (dashboard/audience/saved.py rename). Grain: one row per saved segment.
-- Parameters: $id, $name (unique), $actor.
update segments
set name = $name, updated_by = $actor, updated_at = current_timestamp
where segment_id = $id
