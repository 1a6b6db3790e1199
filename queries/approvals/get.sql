-- The approval of one delivery (there is at most one; its history is in audit_log).
-- Grain: one row per delivery with an approval request. Parameters: $delivery_id.
select delivery_id, fingerprint, requested_by, requested_at, status, decided_by, decided_at, reason
from approvals
where delivery_id = $delivery_id
