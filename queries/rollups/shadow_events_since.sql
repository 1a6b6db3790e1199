-- Incremental rollups, per day: `events` as the per-day rollup queries read it, the events from the
-- first day touched (temp._rollup_scope) on; events are stored in time order, so the scan skips the
-- rest by its zone maps. A temporary view named like the base table shadows it for this cursor
-- alone; the base table is named through its catalog: a plain `events` here would be the view itself.
-- Grain: one row per event from that day. Parameters: none.
create or replace temp view events as
select * from query_table('"' || replace(current_database(), '"', '""') || '".main.events')
where occurred_at >= (select day::timestamptz from temp._rollup_scope)
