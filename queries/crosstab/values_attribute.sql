-- Cross-tab step 2, one axis: the value of one attribute (null when the friend has none) of each friend in ct_cohort, into the temp table ct_values (this cursor's own;
-- crosstab/rows_keep.sql keeps the rows' axis as ct_rows, the columns' axis stays ct_values).
-- Grain: one row per friend: user_key, hit, value.
-- Parameters: $attr_key.
create or replace temp table ct_values as
select c.user_key, c.hit, fa.value
from ct_cohort c
left join friend_attributes fa on fa.user_key = c.user_key and fa.key = $attr_key
