-- A scenario's steps removed before its new ones are written. Grain: one row per step. Parameters: $sid.
delete from scenario_steps where scenario_id = $sid
