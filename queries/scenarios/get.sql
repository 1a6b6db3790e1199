-- One scenario by name, with its settings as JSON text.
-- Grain: one row per scenario (none when no such name). Parameters: $name.
select scenario_id, name, status, "trigger"::varchar, settings::varchar, activated_at, paused_at, scanned_until,
       updated_by, updated_at
from scenarios where name = $name
