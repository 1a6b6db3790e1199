-- Loader step 2b: the round's lines and events as staged (stage_records, stage_events, the rejects
-- applied): how many lines, the oldest receive time (the round's lag), the time span of the valid
-- events (new_events compares only within it), how many events are valid and how many there are in all.
-- Grain: one row. Parameters: none.
select (select count(*) from _ingest_records) as lines,
       (select min(received_at) from _ingest_records) as oldest_received,
       min(occurred_at) filter (where reason is null) as first_valid,
       max(occurred_at) filter (where reason is null) as last_valid,
       count(*) filter (where reason is null) as valid,
       count(*) as events
from _ingest_events
