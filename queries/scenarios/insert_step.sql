-- One step of a scenario. Grain: one row. Parameters: $sid, $no, $step_name, $timing, $messages, $condition (JSON text).
insert into scenario_steps (scenario_id, step_no, name, timing, messages, "condition")
values ($sid, $no, $step_name, $timing::json, $messages::json, $condition::json)
