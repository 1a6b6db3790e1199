-- One friend's step scenarios for the friend page: each enrolment with its state, the step it is
-- at and, while in progress, that next step's name and when it is due (shown in the account's
-- time zone), or how it ended.
-- Grain: one row per scenario the friend was ever enrolled in, newest enrolment first.
-- Parameters: $user_key.
-- step_no is the step to send next (the last one reached once completed: scenario_enrolments).
with mine as (
    select * from scenario_enrolments where user_key = $user_key::integer
),
final as (
    select e.scenario_id, s.name as scenario, s.status as scenario_status, e.status, e.step_no,
           st.name as step_name, (select count(*) from scenario_steps x where x.scenario_id = e.scenario_id) as steps,
           e.next_due_at, e.enrolled_at, e.last_sent_at, e.exited_at, e.exit_reason
    from mine e
    join scenarios s on s.scenario_id = e.scenario_id
    left join scenario_steps st on st.scenario_id = e.scenario_id and st.step_no = e.step_no
)
select * from final order by enrolled_at desc, scenario
