-- The step scenarios the cross-tab can split by ("scenario step reached"), with their steps' names
-- for the labels (#0 welcome, #1 …).
-- Grain: one row per scenario and step (a scenario without steps: one row, step_no null), by name.
-- Parameters: none.
select s.scenario_id, s.name, s.status, st.step_no, st.name as step_name
from scenarios s
left join scenario_steps st on st.scenario_id = s.scenario_id
order by s.name, st.step_no
