-- Import plan for a customers file (a CRM export): each good row compared with customers, and the
-- LINE friend the customer is linked to. Nothing is written here; the write steps read this plan.
-- Grain: one row per customer in the file. Parameters: none (reads _import_rows, staged by imports.py).
-- Definitions:
--   An empty cell keeps the stored value: a file of IDs and e-mails does not zero anyone's revenue.
--   line_user_id   the file's LINE user ID, else the stored one, else the friend who already carries
--                  this customer_id (an accountLink).
--   email          staged only when DASHBOARD_STORE_RAW_EMAIL is true; a new address without it also
--                  clears a stored raw address, which would no longer match email_hash.
--   change         insert (new customer), update (a stored value differs), unchanged.
--   links_friend   the friend line_user_id gets friends.customer_id = this customer (when several
--                  rows lead to the same friend, a row naming it in the file beats one linked by an
--                  earlier import or accountLink, then the last line wins).
--   unlinked       no LINE friend for this customer after the import.
--   touched_keys   friends whose rows change (rollups); touched_since: no event times change.
create or replace temp table _import_plan as
with account_linked as (
    select customer_id, min(user_id) as user_id
    from friends
    where customer_id in (select customer_id from _import_rows)
    group by customer_id
),
merged as (
    select r.line_no, r.customer_id,
           coalesce(r.email_hash, c.email_hash) as email_hash,
           case when r.email_hash is null then c.email
                when r.email is not null then r.email
                when r.email_hash = c.email_hash then c.email
           end as email,
           coalesce(r.name, c.name) as name,
           coalesce(r.line_user_id, c.line_user_id, a.user_id) as line_user_id,
           coalesce(r.first_purchase_at, c.first_purchase_at) as first_purchase_at,
           coalesce(r.orders, c.orders, 0) as orders,
           coalesce(r.revenue, c.revenue, 0) as revenue,
           c.customer_id is not null as known, r.line_user_id is not null as named_in_file,
           c.email_hash as old_email_hash, c.email as old_email, c.name as old_name,
           c.line_user_id as old_line_user_id, c.first_purchase_at as old_first_purchase_at,
           c.orders as old_orders, c.revenue as old_revenue
    from _import_rows r
    left join customers c using (customer_id)
    left join account_linked a using (customer_id)
),
final as (
    select m.*,
           case when not m.known then 'insert'
                when m.email_hash is not distinct from m.old_email_hash
                 and m.email is not distinct from m.old_email
                 and m.name is not distinct from m.old_name
                 and m.line_user_id is not distinct from m.old_line_user_id
                 and m.first_purchase_at is not distinct from m.old_first_purchase_at
                 and m.orders = m.old_orders and m.revenue = m.old_revenue then 'unchanged'
                else 'update'
           end as change,
           f.user_id is null as unlinked,
           f.user_id is not null and f.customer_id is distinct from m.customer_id
               and row_number() over (partition by m.line_user_id
                                      order by m.named_in_file desc, m.line_no desc) = 1 as links_friend,
           f.user_key
    from merged m
    left join friends f on f.user_id = m.line_user_id
)
select line_no, change, customer_id, line_user_id, name, email_hash, email, first_purchase_at, orders,
       revenue, old_line_user_id, old_name, old_email_hash, old_first_purchase_at, old_orders, old_revenue,
       unlinked, links_friend,
       case when links_friend then [user_key] else []::integer[] end as touched_keys,
       null::timestamptz as touched_since
from final
