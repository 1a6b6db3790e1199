-- Alerts not resolved yet: open, acknowledged and muted ones, with what staff did.
-- Grain: one row per alert. Parameters: none.
select alert_id, rule, subject, raised_at, last_seen_at, evidence, status, muted_until, acted_by, acted_at
from alerts
where status <> 'resolved'
order by raised_at, rule, subject
