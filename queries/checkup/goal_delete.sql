-- Remove the goal of one KPI.
-- Grain: the one goal row of $kpi (none when it had no goal). Parameters: $kpi.
delete from goals where kpi = $kpi
