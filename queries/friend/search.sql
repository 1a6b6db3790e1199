-- Find friends for the friend page: by display name (part, any case), part of the LINE user ID, the
-- CRM customer ID (part) or an e-mail address (matched by its SHA-256, customers.email_hash: the raw
-- address is never stored by default).
-- Grain: one row per matching friend, the best matches first, at most $limit.
-- Parameters: $q (text as typed, may be empty), $email_hash (SHA-256 of the normalised address, or
-- null when $q is no address), $limit.
with by_email as (
    select coalesce(c.line_user_id, f.user_id) as user_id
    from customers c
    left join friends f on f.customer_id = c.customer_id
    where $email_hash::varchar is not null and c.email_hash = $email_hash::varchar
),
matched as (
    select f.user_key, f.user_id, f.display_name, f.inflow_route, f.followed_at, f.is_following, f.customer_id,
           case when f.user_id in (select user_id from by_email) then 0
                when f.user_id = $q or f.customer_id = $q then 1
                when lower(f.display_name) = lower($q) then 2
                else 3 end as rank
    from friends f
    where length(trim($q)) > 0
      and (f.user_id in (select user_id from by_email)
           or contains(lower(coalesce(f.display_name, '')), lower(trim($q)))
           or (length(trim($q)) >= 4 and contains(lower(f.user_id), lower(trim($q))))
           or (length(trim($q)) >= 2 and contains(lower(coalesce(f.customer_id, '')), lower(trim($q)))))
),
final as (
    select user_key, user_id, display_name, inflow_route, followed_at, is_following, customer_id
    from matched
    order by rank, display_name nulls last, user_id
    limit $limit
)
select * from final
