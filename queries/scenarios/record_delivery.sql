-- A delivery of kind step and the scenario step it carries. Grain: one row. Parameters: $id, $sid, $no, $now.
insert into scenario_deliveries (delivery_id, scenario_id, step_no, planned_at) values ($id, $sid, $no, $now)
