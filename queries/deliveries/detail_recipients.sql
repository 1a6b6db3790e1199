-- The recipients of one delivery, for its detail's table (each links to the friend page): the send
-- ledger's rows with the friend's name, those not delivered first (failed, unknown, planned), then
-- the latest sent.
-- Grain: one row per recipient, at most $limit. Parameters: $delivery_id, $limit.
-- A broadcast has no ledger (LINE does not say who it reached): no rows.
with ledger as (
    select r.user_key, r.user_id, r.status, r.error, r.sent_at, r.batch_no
    from delivery_recipients r
    where r.delivery_id = $delivery_id
),
final as (
    select coalesce(l.user_key, f.user_key) as user_key, l.user_id, f.display_name, l.status, l.error, l.sent_at,
           l.batch_no
    from ledger l
    left join friends f on f.user_key = l.user_key
    order by l.status = 'sent', l.status, l.sent_at desc nulls last, l.user_id
    limit $limit
)
select * from final
