-- The send plan's recipients numbered in user_id order into batches of $plan_batch_size.
-- Grain: one row per distinct recipient (user_id, batch_no), into the temp table plan_recipients.
-- Parameters: $plan_batch_size; reads the temp table plan_audience (user_id), the materialised audience.
create or replace temp table plan_recipients as
with recipients as (
    select distinct user_id from plan_audience where user_id is not null
)
select user_id, (row_number() over (order by user_id) - 1) // $plan_batch_size as batch_no
from recipients
