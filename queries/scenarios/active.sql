-- Active scenarios, for the runner. Grain: one row per scenario. Parameters: none.
select scenario_id, name from scenarios where status = 'active' order by name
