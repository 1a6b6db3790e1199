-- Find friends for the friend page by an e-mail address: the CRM customer with that address's
-- SHA-256 (customers.email_hash: the raw address is never stored by default), linked to the friend
-- by the customer's LINE user ID or the friend's customer ID.
-- Grain: one row per matching friend, at most $limit. Parameters: $email_hash, $limit.
with customer as (
    select customer_id, line_user_id from customers where email_hash = $email_hash::varchar
),
final as (
    select f.user_key, f.user_id, f.display_name, f.inflow_route, f.followed_at, f.is_following, f.customer_id
    from friends f
    where f.user_id in (select line_user_id from customer where line_user_id is not null)
       or f.customer_id in (select customer_id from customer)
    order by f.display_name nulls last, f.user_id
    limit $limit
)
select * from final
