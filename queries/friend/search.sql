-- Find friends for the friend page by what was typed: display name (part, any case), part of the
-- LINE user ID (4 characters or more) or of the CRM customer ID (2 or more). An e-mail address is
-- searched by friend/search_email.sql instead.
-- Grain: one row per matching friend, the best matches first (the exact user ID or customer ID,
-- then the exact name), at most $limit.
-- Parameters: $q (text as typed, may be empty), $limit.
with matched as (
    select f.user_key, f.user_id, f.display_name, f.inflow_route, f.followed_at, f.is_following, f.customer_id,
           case when f.user_id = $q or f.customer_id = $q then 1
                when lower(f.display_name) = lower($q) then 2
                else 3 end as rank
    from friends f
    where length(trim($q)) > 0
      and (contains(lower(coalesce(f.display_name, '')), lower(trim($q)))
           -- (case, not and: DuckDB then skips lower() over a million user IDs for a short text)
           or case when length(trim($q)) >= 4 then contains(lower(f.user_id), lower(trim($q))) else false end
           or case when length(trim($q)) >= 2 and f.customer_id is not null
                   then contains(lower(f.customer_id), lower(trim($q))) else false end)
),
final as (
    select user_key, user_id, display_name, inflow_route, followed_at, is_following, customer_id
    from matched
    order by rank, display_name nulls last, user_id
    limit $limit
)
select * from final
