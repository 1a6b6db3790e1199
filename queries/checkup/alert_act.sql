-- Staff acknowledge or mute an alert (dashboard/checkup/alerts.py checks the role and audits it).
-- Grain: the one alert $alert_id, unless resolved meanwhile.
-- Parameters: $alert_id, $status ('acknowledged' or 'muted'), $muted_until (timestamptz or null),
--   $acted_by, $acted_at.
update alerts
set status = $status, muted_until = $muted_until, acted_by = $acted_by, acted_at = $acted_at
where alert_id = $alert_id and status <> 'resolved'
