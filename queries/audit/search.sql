-- The audit log for the Audit page, newest first, filtered by time, actor and action (each filter
-- off when its parameter is null).
-- Grain: one row per audit_log row. Parameters: $since (inclusive), $until (exclusive), $actor,
-- $action, $limit.
with filtered as (
    select "at", actor, action, object, detail
    from audit_log
    where ($since::timestamptz is null or "at" >= $since::timestamptz)
      and ($until::timestamptz is null or "at" < $until::timestamptz)
      and ($actor::varchar is null or actor = $actor::varchar)
      and ($action::varchar is null or action = $action::varchar)
),
final as (
    select "at", actor, action, object, detail::varchar as detail
    from filtered
)
select "at", actor, action, object, detail from final order by "at" desc limit $limit
