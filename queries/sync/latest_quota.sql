-- LINE sync: the message quota and this month's consumption as LINE last reported them.
-- quota_type none = no target limit set (quota_value is then null).
-- Grain: one row (or none before the first quota sync). Parameters: none.
select checked_at, quota_type, quota_value, total_usage
from line_quota
order by checked_at desc
limit 1
