-- Loader step 3: the events of the batch not yet in the database, once each (LINE redelivers,
-- and the network duplicates even without redelivery). A duplicate carries the same timestamp as
-- its original, so only events in [$min_ts, $max_ts] are compared: events are stored in time
-- order and DuckDB skips the rest of the table by its zone maps.
-- Grain: one row per new event. Parameters: $min_ts, $max_ts (timestamptz).
create or replace temp table _ingest_new as
select x.*
from (select *, row_number() over (partition by event_id order by received_at, file, line_no, idx) as copy
      from _ingest_events
      where reason is null) x
where x.copy = 1
  and not exists (select 1 from events e
                  where e.event_id = x.event_id
                    and e.occurred_at >= $min_ts::timestamptz and e.occurred_at <= $max_ts::timestamptz)
