-- LINE sync, quota: LINE's message quota (type none or limited, and the limit) and its count of
-- messages sent this month (approximate, LINE says), kept as a history.
-- Grain: one row per quota sync. Parameters: $checked_at, $quota_type, $quota_value, $total_usage.
insert into line_quota (checked_at, quota_type, quota_value, total_usage)
values ($checked_at, $quota_type, $quota_value, $total_usage)
