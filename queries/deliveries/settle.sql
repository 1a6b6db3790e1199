-- After a decision on a lost answer: a delivery with nothing left to send gets its final status
-- and counts from the ledger (sent, partially_failed or failed); otherwise it stays as it is.
-- Grain: one update of one delivery. Parameters: $delivery_id.
update deliveries set
    status = case when c.failed = 0 then 'sent' when c.sent = 0 then 'failed' else 'partially_failed' end,
    sent_count = c.sent, failed_count = c.failed, error = null,
    sent_at = coalesce(deliveries.sent_at, c.first_sent)
from (select count(*) filter (where status = 'sent') as sent,
             count(*) filter (where status = 'failed') as failed,
             count(*) filter (where status in ('planned', 'unknown')) as open,
             min(sent_at) as first_sent
      from delivery_recipients where delivery_id = $delivery_id) c
where deliveries.delivery_id = $delivery_id and c.open = 0
  and deliveries.status in ('paused', 'stopped', 'sending')
