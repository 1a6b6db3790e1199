-- Record one check-up run. Grain: one row written.
-- Parameters: $checked_at, $as_of (timestamptz), $fired (integer), $seconds (double).
insert into alert_checks (checked_at, as_of, fired, seconds) values ($checked_at, $as_of, $fired, $seconds)
