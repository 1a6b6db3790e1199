-- What an approval is bound to (dashboard/messaging/approvals.py fingerprint): the delivery's messages, kind,
-- segment, schedule and link tracking, and its planned audience — the send ledger's user ids,
-- reduced to their count and a SHA-256 over them sorted and joined by newlines. Any edit of the
-- messages or the audience changes this row.
-- Grain: one row for the delivery; none when it does not exist. Parameters: $delivery_id.
with audience as (
    select count(*) as recipients,
           sha256(coalesce(string_agg(user_id, chr(10) order by user_id), '')) as recipients_sha256
    from delivery_recipients
    where delivery_id = $delivery_id
),
final as (
    select d.delivery_id, d.kind, d.status, d.messages::varchar as messages, d.segment_id,
           d.scheduled_at, d.link_tracking, d.created_by, d.planned_count,
           a.recipients, a.recipients_sha256
    from deliveries d
    cross join audience a
    where d.delivery_id = $delivery_id
)
select * from final
