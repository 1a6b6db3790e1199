-- Recorded daily sizes of saved segments (snapshots taken when a segment is counted).
-- Grain: one row per segment and day. Parameters: $segment_ids (varchar[]), $first, $last (dates).
select segment_id, day, size, computed_at
from segment_sizes
where list_contains($segment_ids::varchar[], segment_id) and day >= $first and day <= $last
order by segment_id, day
