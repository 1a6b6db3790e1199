-- The staff list: LINE users who may receive test sends, kept by an admin (dashboard/messaging/staff.py).
-- Grain: one row per staff member, oldest first. Parameters: none.
select user_id, label, added_by, added_at
from staff_recipients
order by added_at, user_id
