-- Check-up rule "loader", its second half: events the loader quarantined in the $days days before
-- $as_of (they are not in any number until someone looks at them on the Data page).
-- Grain: one row when there are any; none otherwise. Parameters: $as_of (timestamptz), $days (integer).
with q as (
    select quarantined_at, reason
    from ingest_quarantine
    where quarantined_at >= $as_of - to_days($days::integer) and quarantined_at < $as_of
),
final as (
    select count(*) as quarantined, max(quarantined_at) as last_at,
           arg_max(left(reason, 200), quarantined_at) as latest_reason
    from q
)
select * from final where quarantined > 0
