-- Incremental rollups, per delivery: `deliveries` as rollups/delivery_route reads it, the deliveries
-- in scope (temp._rollup_deliveries, rollups/scope_deliveries) only. A temporary view named like the
-- base table shadows it for this cursor alone; the base table is named through its catalog: a
-- plain `deliveries` here would be the view itself.
-- Grain: one row per delivery in scope. Parameters: none.
create or replace temp view deliveries as
select * from query_table('"' || replace(current_database(), '"', '""') || '".main.deliveries')
where delivery_id in (select delivery_id from temp._rollup_deliveries)
