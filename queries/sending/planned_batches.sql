-- The next planned batches of a delivery, in order: its retry key, recipients and first attempt.
-- Grain: one row per batch with batch_no in ($after, $after + $chunk].
-- Parameters: $id (delivery_id), $after (last batch_no read), $chunk (batches at a time).
select batch_no, any_value(retry_key), list(user_id order by user_id), min(attempted_at)
from delivery_recipients
where delivery_id = $id and status = 'planned' and batch_no > $after and batch_no <= $after + $chunk
group by batch_no
order by batch_no
