-- Store a new saved segment (dashboard/audience/saved.py create). Grain: one row per saved segment.
-- Parameters: $id (seg_…), $name (unique), $rule (the validated rule tree as JSON text), $actor.
insert into segments (segment_id, name, definition, created_by)
values ($id, $name, $rule, $actor)
