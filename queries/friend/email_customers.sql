-- The CRM customers with one e-mail address, by its SHA-256 (customers.email_hash: the raw address
-- is never stored by default), for the friend page's search (then friend/search_email.sql).
-- Grain: one row per customer with that hash. Parameters: $email_hash.
-- (customers_email_hash, schema 11, makes this a look-up: a scan of 533,907 hashes took 20 ms.)
with final as (
    select customer_id, line_user_id from customers where email_hash = $email_hash::varchar
)
select * from final
