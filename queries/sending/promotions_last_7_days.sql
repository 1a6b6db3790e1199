-- Promotional deliveries that went out (or are going out) in the last 7 days.
-- Grain: one row, the number of such deliveries.
-- Parameters: none.
select count(*) as promotions
from deliveries
where is_promotion and status in ('sent', 'sending', 'partially_failed')
  and sent_at >= current_timestamp - interval 7 day
