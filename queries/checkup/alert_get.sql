-- One alert by its id. Grain: zero or one row. Parameters: $alert_id.
select alert_id, rule, subject, status, muted_until from alerts where alert_id = $alert_id
