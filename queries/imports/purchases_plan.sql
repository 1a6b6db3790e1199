-- Import plan for a purchases file (orders from a shop or CRM): each good row as a 'purchase' event,
-- compared with the event a previous import of the same order wrote.
-- Grain: one row per order in the file. Parameters: none (reads _import_rows, staged by imports.py).
-- Definitions:
--   event_id   import:purchase:<order id>, so the same order is one event however often imported.
--   user_id    the friend named by the file's LINE user ID; else the customer's LINE link
--              (customers.line_user_id); else a friend carrying the customer_id (accountLink).
--              Null when none is a friend: the purchase is kept and counted as unlinked (a later
--              import of the same file, after linking, fills it in).
--   change     insert, update (user, time, amount, category or row differ), unchanged.
--   touched_keys, touched_since: friends and the earliest event time the write changes (rollups).
create or replace temp table _import_plan as
with account_linked as (
    select customer_id, min(user_id) as user_id
    from friends
    where customer_id in (select customer_id from _import_rows)
    group by customer_id
),
resolved as (
    select r.*, 'import:purchase:' || r.order_id as event_id,
           coalesce(named.user_id, crm.user_id, a.user_id) as user_id
    from _import_rows r
    left join friends named on named.user_id = r.line_user_id
    left join customers c on c.customer_id = r.customer_id
    left join friends crm on crm.user_id = c.line_user_id
    left join account_linked a on a.customer_id = r.customer_id
),
existing as (
    select event_id, user_key, user_id, occurred_at, amount, detail, payload::varchar as payload
    from events
    where type = 'purchase' and event_id in (select event_id from resolved)
),
final as (
    select r.line_no, r.event_id, r.order_id, r.customer_id, f.user_key, r.user_id, r.occurred_at,
           r.amount, r.category, r.payload,
           case when e.event_id is null then 'insert'
                when e.user_id is not distinct from r.user_id and e.occurred_at = r.occurred_at
                 and e.amount = r.amount and e.detail is not distinct from r.category
                 and e.payload is not distinct from r.payload then 'unchanged'
                else 'update'
           end as change,
           e.user_key as old_user_key, e.occurred_at as old_occurred_at, e.amount as old_amount
    from resolved r
    left join friends f on f.user_id = r.user_id
    left join existing e on e.event_id = r.event_id
)
select line_no, change, event_id, order_id, customer_id, user_id, user_key, occurred_at, amount,
       category, old_occurred_at, old_amount, payload,
       user_id is null as unlinked, false as links_friend,
       case when change = 'unchanged' then []::integer[]
            else list_filter([user_key, old_user_key], lambda k: k is not null) end as touched_keys,
       case when change = 'insert' then occurred_at
            when change = 'update' then least(occurred_at, old_occurred_at) end as touched_since
from final
