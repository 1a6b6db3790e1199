-- What the engine needs to send a delivery.
-- Grain: one row per delivery. Parameters: $id.
select status, messages, aggregation_unit, kind, link_tracking, cost_yen from deliveries where delivery_id = $id
