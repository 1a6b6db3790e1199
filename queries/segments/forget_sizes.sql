-- Forget the daily sizes recorded for a segment (its rule changed, or it is deleted).
-- Grain of segment_sizes: one row per segment and day. Parameters: $id.
delete from segment_sizes where segment_id = $id
