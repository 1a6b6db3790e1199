-- The send plan's recipients numbered in user_id order into batches of $plan_batch_size.
-- Grain: one row per distinct recipient (user_id, user_key when known, batch_no), into the temp table
-- plan_recipients. Parameters: $plan_batch_size; reads the temp table plan_audience (user_key, user_id),
-- the materialised audience.
create or replace temp table plan_recipients as
with recipients as (
    select user_id, any_value(user_key) as user_key from plan_audience where user_id is not null group by user_id
)
select user_id, user_key, (row_number() over (order by user_id) - 1) // $plan_batch_size as batch_no
from recipients
