-- Several batches LINE accepted, in one write: their planned rows become sent with LINE's request id.
-- Reads the registered frame `accepted` (batch_no, request_id).
-- Grain: one row per recipient of the batches. Parameters: $id.
update delivery_recipients r
set status = 'sent', request_id = a.request_id, error = null, sent_at = current_timestamp
from accepted a
where r.delivery_id = $id and r.batch_no = a.batch_no and r.status = 'planned'
