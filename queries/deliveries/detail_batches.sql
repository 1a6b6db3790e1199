-- The send ledger of one delivery by batch: how many recipients each batch holds, by status.
-- Grain: one row per batch and status. Parameters: $delivery_id.
-- A broadcast has no ledger (LINE does not say who it reached): no rows.
with final as (
    select batch_no, status, count(*)::bigint as recipients, min(attempted_at) as attempted_at,
           max(sent_at) as sent_at
    from delivery_recipients
    where delivery_id = $delivery_id
    group by batch_no, status
)
select * from final order by batch_no, status
