-- A new scenario (import, the page's editor). Grain: one row. Parameters: $sid, $scenario_name, $trigger, $status,
-- $settings (JSON text), $by, $now.
insert into scenarios (scenario_id, name, "trigger", status, settings, created_by, created_at, updated_by, updated_at)
values ($sid, $scenario_name, $trigger::json, $status, $settings::json, $by, $now, $by, $now)
