-- A check no longer sees an alert: resolved (a later finding raises a new alert).
-- Grain: the one alert $alert_id. Parameters: $alert_id, $at (timestamptz).
update alerts set status = 'resolved', resolved_at = $at where alert_id = $alert_id and status <> 'resolved'
