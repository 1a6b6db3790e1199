-- Active friends: following at $end and at least one per-user reaction in the N days before it
-- (N = the window rollup_active_spells was built with, setting DASHBOARD_ACTIVE_DAYS) (per-user reactions: message, postback, rich-menu tap, survey answer, tracked-link
-- click; LINE gives no per-user opens).
-- Grain: one row.
-- Parameters: $end (timestamptz, a midnight in the account's time zone), $routes (varchar[]).
-- Reads rollup_active_spells: a friend is active at $end when one of their spells contains it;
-- the window length is the one the rollup was built with (setting DASHBOARD_ACTIVE_DAYS).
with final as (
    select count(*) as active_friends
    from rollup_active_spells s
    join friends f on f.user_key = s.user_key
    where s.active_from <= $end::date and s.active_until >= $end::date
      and f.followed_at < $end
      and (f.blocked_at is null or f.blocked_at >= $end
           or (f.last_followed_at > f.blocked_at and f.last_followed_at < $end))
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
)
select * from final
