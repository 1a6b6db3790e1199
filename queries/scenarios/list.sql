-- Every scenario with its enrolments counted by status (ステップ配信 list, `scenarios list`).
-- Grain: one row per scenario, by name. Parameters: none.
-- enrolled = every friend ever enrolled; in_progress = active; completed; exited (blocked, converted …).
with counts as (
    select scenario_id, count(*) as enrolled,
           count(*) filter (where status = 'active') as in_progress,
           count(*) filter (where status = 'completed') as completed,
           count(*) filter (where status = 'exited') as exited
    from scenario_enrolments group by scenario_id
), steps as (
    select scenario_id, count(*) as steps from scenario_steps group by scenario_id
), final as (
    select s.scenario_id, s.name, s.status, s."trigger"::varchar as trigger_json, coalesce(st.steps, 0) as steps,
           coalesce(c.enrolled, 0) as enrolled, coalesce(c.in_progress, 0) as in_progress,
           coalesce(c.completed, 0) as completed, coalesce(c.exited, 0) as exited, s.updated_by, s.updated_at
    from scenarios s left join counts c using (scenario_id) left join steps st using (scenario_id)
)
select * from final order by name
