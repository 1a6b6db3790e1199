-- Replace a saved segment's rule (dashboard/audience/saved.py update). Grain: one row per saved segment.
-- Parameters: $id, $rule (the validated rule tree as JSON text), $actor.
update segments
set definition = $rule, updated_by = $actor, updated_at = current_timestamp
where segment_id = $id
