-- Import write step: new and changed customers from the plan (queries/imports/customers_plan.sql).
-- Grain: one row per inserted or updated customer. Parameters: none (reads _import_plan).
insert into customers (customer_id, email_hash, line_user_id, first_purchase_at, orders, revenue,
                       email, name, updated_at)
select customer_id, email_hash, line_user_id, first_purchase_at, orders, revenue, email, name,
       current_timestamp
from _import_plan
where change in ('insert', 'update')
on conflict (customer_id) do update set
    email_hash = excluded.email_hash, line_user_id = excluded.line_user_id,
    first_purchase_at = excluded.first_purchase_at, orders = excluded.orders,
    revenue = excluded.revenue, email = excluded.email, name = excluded.name,
    updated_at = excluded.updated_at
