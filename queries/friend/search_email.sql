-- Find friends for the friend page by an e-mail address: the friends linked to the customers that
-- friend/email_customers.sql found for its hash, by the customer's LINE user ID or the friend's
-- customer ID.
-- Grain: one row per matching friend, at most $limit. Parameters: $user_ids (varchar[], the
-- customers' LINE user IDs), $customer_ids (varchar[]), $limit.
-- (Given as lists of the one or two customers found, each side is a look-up among the friends
-- instead of a join over all of them: 106 → 3 ms at 1M friends.)
with linked as (
    select user_key from friends where user_id in (select unnest($user_ids::varchar[]))
    union
    select user_key from friends where customer_id in (select unnest($customer_ids::varchar[]))
),
final as (
    select f.user_key, f.user_id, f.display_name, f.inflow_route, f.followed_at, f.is_following, f.customer_id
    from friends f
    where f.user_key in (select user_key from linked)
    order by f.display_name nulls last, f.user_id
    limit $limit
)
select * from final
