-- Cross-tab step 2, one axis: the CRM orders band — none (not linked), 0, 1, 2-4, 5+ — of each friend in ct_cohort, into the temp table ct_values (this cursor's own;
-- crosstab/rows_keep.sql keeps the rows' axis as ct_rows, the columns' axis stays ct_values).
-- Grain: one row per friend: user_key, hit, value.
-- Parameters: none.
create or replace temp table ct_values as
with linked as (
    select f.user_key, cu.orders
    from friends f
    join customers cu on cu.customer_id = f.customer_id
    where f.customer_id is not null
)
select c.user_key, c.hit,
       case when l.user_key is null then 'none' when l.orders is null or l.orders <= 0 then '0'
            when l.orders = 1 then '1' when l.orders <= 4 then '2-4' else '5+' end as value
from ct_cohort c
left join linked l on l.user_key = c.user_key
