-- A check still sees an alert: its latest evidence, and a mute that ran out opens it again.
-- Grain: the one alert $alert_id. Parameters: $alert_id, $at (timestamptz), $evidence (JSON text).
update alerts
set last_seen_at = $at, evidence = $evidence,
    status = case when status = 'muted' and muted_until <= $at then 'open' else status end
where alert_id = $alert_id
