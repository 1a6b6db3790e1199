-- Batches whose answer was lost: sent to LINE at least once (attempted_at) but neither sent nor
-- failed in the ledger. Still 'planned' while the retry key is young (a resume retries with the same
-- key, and LINE answers 409 if it had accepted it); 'unknown' once the batch was tried over 23 h
-- ago (LINE forgets keys after 24 h: resending could deliver twice).
-- Grain: one row per delivery x batch. Parameters: $delivery_id (varchar; null = every delivery).
with final as (
    select r.delivery_id, d.title, d.kind, d.status as delivery_status, d.aggregation_unit,
           r.batch_no, any_value(r.retry_key) as retry_key, any_value(r.status) as status,
           count(*) as recipients, min(r.attempted_at) as attempted_at,
           epoch(current_timestamp) - epoch(min(r.attempted_at)) as age_seconds
    from delivery_recipients r
    join deliveries d using (delivery_id)
    where r.status in ('planned', 'unknown') and r.attempted_at is not null
      and ($delivery_id::varchar is null or r.delivery_id = $delivery_id::varchar)
      and d.status not in ('sending', 'queued')   -- a send in flight has its answer coming
    group by all
)
select * from final order by attempted_at, delivery_id, batch_no
