-- One delivery, as its detail view shows it: what was sent, to which audience, when and how it went.
-- Grain: one row (none for an unknown id). Parameters: $delivery_id.
with final as (
    select d.delivery_id, d.title, d.kind, d.status, d.is_promotion, d.messages::varchar as messages,
           d.segment_id, s.name as segment_name, d.planned_count, d.sent_count, d.failed_count,
           d.created_by, d.approved_by, d.created_at, d.scheduled_at, d.sent_at, d.error, d.link_tracking,
           d.plan_exclusions
    from deliveries d
    left join segments s on s.segment_id = d.segment_id
    where d.delivery_id = $delivery_id
)
select * from final
