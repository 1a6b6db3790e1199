-- Incremental rollups, per friend: `events` as the per-friend rollup queries read it, the touched
-- friends' events only (temp._rollup_events). A temporary view named like the base table shadows it
-- for this cursor alone, so those queries, unchanged, redo just the touched friends' rows. Only the
-- columns the per-friend rollups read (tests/test_ingest_property.py compares with a full rebuild);
-- the others are null here.
-- Grain: one row per event of a friend touched. Parameters: none.
create or replace temp view events as
select null::varchar as event_id, user_key, null::varchar as user_id, type, occurred_at,
       null::timestamptz as received_at, null::varchar as delivery_id, detail,
       null::decimal(12, 2) as amount, null::json as payload
from temp._rollup_events
