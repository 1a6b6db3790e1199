-- Messages counted against LINE's monthly quota by our own record: one per recipient of every
-- send that reached LINE, test sends included (LINE bills a push to staff like any other).
-- Replies are free and not recorded here.
-- Grain: one row. Parameters: $start, $end (timestamptz, [start, end) by sent_at).
with final as (
    select coalesce(sum(sent_count), 0)::bigint as used,
           coalesce(sum(sent_count) filter (where kind = 'test'), 0)::bigint as used_by_tests
    from deliveries
    where sent_at >= $start and sent_at < $end
      and status not in ('planned', 'scheduled', 'queued', 'cancelled')
)
select * from final
