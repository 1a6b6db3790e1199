-- What is due now per scenario and step (a dry run's answer). Grain: one row per active scenario x step
-- with something due. Parameters: $now.
select s.name, e.step_no, count(*) as due, min(e.next_due_at) as oldest
from scenario_enrolments e join scenarios s using (scenario_id)
where s.status = 'active' and e.status = 'active' and e.next_due_at <= $now
group by s.name, e.step_no order by s.name, e.step_no
