-- Record (or replace) a segment's size on one day (dashboard/audience/saved.py record_size).
-- Grain: one row per segment and day. Parameters: $id, $day (date), $size (friends in the segment).
insert or replace into segment_sizes (segment_id, day, size, computed_at)
values ($id, $day, $size, current_timestamp)
