-- Delete a saved segment (dashboard/audience/saved.py delete; its sizes go first, segments/forget_sizes).
-- Grain: one row per saved segment. Parameters: $id.
delete from segments where segment_id = $id
