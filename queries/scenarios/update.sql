-- A scenario's definition replaced (import of a file with an existing name). Grain: one row.
-- Parameters: $sid, $trigger, $settings (JSON text), $by, $now.
update scenarios set "trigger" = $trigger::json, settings = $settings::json, updated_by = $by, updated_at = $now
where scenario_id = $sid
