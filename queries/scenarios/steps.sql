-- A scenario's steps in order, timing, messages and condition as JSON text.
-- Grain: one row per step. Parameters: $sid (scenario_id).
select step_no, name, timing::varchar, messages::varchar, "condition"::varchar
from scenario_steps where scenario_id = $sid order by step_no
