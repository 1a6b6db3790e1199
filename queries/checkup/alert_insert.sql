-- Raise one alert. Grain: one row written.
-- Parameters: $alert_id, $rule, $subject, $at (timestamptz), $evidence (JSON text).
insert into alerts (alert_id, rule, subject, raised_at, last_seen_at, evidence, status)
values ($alert_id, $rule, $subject, $at, $at, $evidence, 'open')
