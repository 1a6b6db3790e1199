-- How a scenario's welcome step went out: by reply (free, no quota) or by push/multicast (counted).
-- Grain: one row per channel. Parameters: $scenario_name. via is null for multicast batches.
select coalesce(r.via, 'multicast') as via, count(*) as recipients
from scenario_deliveries sd
join scenarios s on s.scenario_id = sd.scenario_id
join delivery_recipients r on r.delivery_id = sd.delivery_id
where s.name = $scenario_name and sd.step_no = 0 and r.status = 'sent'
group by 1
