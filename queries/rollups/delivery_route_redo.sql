-- Incremental rollups, per delivery (rollups.apply): the rows of the deliveries in scope
-- (temp._rollup_deliveries, rollups/scope_deliveries) go before rollups/delivery_route, reading
-- only those deliveries, adds them again.
-- Grain: one delete per delivery in scope and route. Parameters: none.
delete from rollup_delivery_route where delivery_id in (select delivery_id from temp._rollup_deliveries)
