-- Cross-tab step 2, one axis: the CRM orders band: none (not linked), 0, 1, 2-4, 5+ of each friend in ct_cohort, added to ct_dims.
-- Grain: one row per friend.
-- Parameters: $axis ('rows' or 'cols').
insert into ct_dims
select $axis, c.user_key,
       case when cu.customer_id is null then 'none' when cu.orders <= 0 then '0' when cu.orders = 1 then '1'
            when cu.orders <= 4 then '2-4' else '5+' end
from ct_cohort c
join friends f on f.user_key = c.user_key
left join customers cu on cu.customer_id = f.customer_id
