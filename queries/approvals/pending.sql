-- Sends waiting for a second person's approval, oldest request first, for approvers.
-- Grain: one row per pending approval. Parameters: none.
with waiting as (
    select delivery_id, requested_by, requested_at
    from approvals
    where status = 'pending'
),
final as (
    select w.delivery_id, d.title, d.kind, d.planned_count as recipients, d.scheduled_at,
           d.segment_id, d.created_by, w.requested_by, w.requested_at, d.status as delivery_status,
           d.messages, d.cost_yen, d.plan_exclusions
    from waiting w
    join deliveries d using (delivery_id)
)
select * from final order by requested_at
