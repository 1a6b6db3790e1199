-- Several batches LINE accepted, in one write: their planned rows become sent with LINE's request id.
-- Reads the registered frame `accepted` (batch_no, request_id).
-- The batch_no range ($lo..$hi, the group's first and last) lets DuckDB skip the rest of a large ledger.
-- Grain: one row per recipient of the batches. Parameters: $id, $lo, $hi.
update delivery_recipients r
set status = 'sent', request_id = a.request_id, error = null, sent_at = current_timestamp
from accepted a
where r.delivery_id = $id and r.batch_no between $lo and $hi and r.batch_no = a.batch_no and r.status = 'planned'
