-- Cross-tab step 2, one axis: the step each friend in ct_cohort reached in one step scenario (migration 008's scenario_enrolments), into the temp table ct_values (this cursor's own;
-- crosstab/rows_keep.sql keeps the rows' axis as ct_rows, the columns' axis stays ct_values).
-- Grain: one row per friend: user_key, hit, value: null = not enrolled; 'enrolled' = enrolled, no step passed yet; otherwise the number (step_no, from 0) of the last step passed (sent, or left out by its condition).
-- Parameters: $scenario (scenario_id).
-- Definition: an enrolment's step_no is the step to send next, or the last one once completed; so
-- the step reached is step_no when completed and step_no - 1 otherwise (active, or exited: blocked,
-- bought, an exit tag, left the segment).
create or replace temp table ct_values as
with enrolled as (
    select user_key, status, step_no
    from scenario_enrolments
    where scenario_id = $scenario and user_key is not null
)
select c.user_key, c.hit,
       case when e.user_key is null then null
            when e.status = 'completed' then e.step_no::varchar
            when e.step_no <= 0 then 'enrolled'
            else (e.step_no - 1)::varchar end as value
from ct_cohort c
left join enrolled e on e.user_key = c.user_key
