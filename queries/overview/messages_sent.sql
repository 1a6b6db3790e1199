-- Messages sent to friends: one per recipient of each delivery, however many bubbles it holds.
-- Test sends are left out (they are listed apart; overview/quota_used counts them, since LINE
-- bills them against the monthly quota too).
-- Grain: one row.
-- Parameters: $start, $end (timestamptz, [start, end) by sent_at).
with final as (
    select coalesce(sum(sent_count), 0)::bigint as messages_sent, count(*) as deliveries
    from deliveries
    where sent_at >= $start and sent_at < $end
      and status not in ('planned', 'scheduled', 'queued', 'cancelled')  -- anything that reached LINE
      and kind <> 'test'
)
select * from final
