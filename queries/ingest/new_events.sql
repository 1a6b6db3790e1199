-- Loader step 3: the events of the batch not yet in the database, once each (LINE redelivers,
-- and the network duplicates even without redelivery). A duplicate carries the same timestamp as
-- its original, so only events in [$min_ts, $max_ts] are compared: events are stored in time
-- order and DuckDB skips the rest of the table by its zone maps.
-- Within the batch, the first copy (by receive time, then spool position) is kept. Only the few
-- ids that occur more than once are ranked: ranking every event would sort the whole batch.
-- Grain: one row per new event. Parameters: $min_ts, $max_ts (timestamptz).
create or replace temp table _ingest_new as
with repeated as (
    select event_id from _ingest_events where reason is null group by event_id having count(*) > 1
),
later_copies as (  -- (file, line_no, idx) identifies an event of the batch
    select file, line_no, idx
    from (select file, line_no, idx,
                 row_number() over (partition by event_id order by received_at, file, line_no, idx) as copy
          from _ingest_events
          where reason is null and event_id in (select event_id from repeated))
    where copy > 1
)
select x.*
from _ingest_events x
where x.reason is null
  and not exists (select 1 from later_copies c where c.file = x.file and c.line_no = x.line_no and c.idx = x.idx)
  and not exists (select 1 from events e
                  where e.event_id = x.event_id
                    and e.occurred_at >= $min_ts::timestamptz and e.occurred_at <= $max_ts::timestamptz)
