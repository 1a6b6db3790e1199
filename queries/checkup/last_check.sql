-- When the check-up last ran. Grain: one row (nulls before the first run). Parameters: none.
select max(checked_at) as checked_at, arg_max(as_of, checked_at) as as_of from alert_checks
