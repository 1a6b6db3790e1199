-- Enrolments due now per active scenario and step: the runner's first question each tick (nothing due = done).
-- Grain: one row per active scenario x step with something due. Parameters: $now.
select e.scenario_id, e.step_no, count(*) as due
from scenario_enrolments e
where e.status = 'active' and e.next_due_at <= $now
  and e.scenario_id in (select scenario_id from scenarios where status = 'active')
group by e.scenario_id, e.step_no
