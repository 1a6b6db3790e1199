-- Incremental rollups, per delivery (rollups.apply): the rows of the deliveries in scope
-- (temp._rollup_deliveries, rollups/scope_deliveries) go before rollups/delivery_reactors, reading
-- only those deliveries, adds them again.
-- Grain: one delete per delivery in scope and reacting friend. Parameters: none.
delete from rollup_delivery_reactors where delivery_id in (select delivery_id from temp._rollup_deliveries)
