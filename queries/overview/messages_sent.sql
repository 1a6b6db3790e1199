-- Messages counted against LINE's monthly quota: one per recipient of each delivery, however many
-- bubbles it holds (test sends by push count too; replies do not).
-- Grain: one row.
-- Parameters: $start, $end (timestamptz, [start, end) by sent_at).
with final as (
    select coalesce(sum(sent_count), 0)::bigint as messages_sent, count(*) as deliveries
    from deliveries
    where sent_at >= $start and sent_at < $end
      and status not in ('planned', 'scheduled', 'queued', 'cancelled')  -- anything that reached LINE
)
select * from final
