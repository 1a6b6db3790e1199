-- Move an approval from one status to another (pending -> approved / rejected / voided, approved ->
-- voided). Matching the old status makes a decision count once: a second approver's click, or a
-- decision on something already voided, updates nothing (Count = 0).
-- Grain: one row per delivery. Parameters: $delivery_id, $from_status, $to_status, $decided_by,
-- $decided_at, $reason.
update approvals
set status = $to_status, decided_by = $decided_by, decided_at = $decided_at, reason = $reason
where delivery_id = $delivery_id and status = $from_status
