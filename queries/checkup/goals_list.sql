-- The account's goals (KGI / KPI targets set by an admin).
-- Grain: one row per KPI that has a goal. Parameters: none.
select kpi, target, due_on, baseline, set_by, set_at
from goals
order by kpi
