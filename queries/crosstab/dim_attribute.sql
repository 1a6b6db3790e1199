-- Cross-tab step 2, one axis: the value of one attribute (null when the friend has none) of each friend in ct_cohort, added to ct_dims.
-- Grain: one row per friend.
-- Parameters: $axis ('rows' or 'cols'), $attr_key.
insert into ct_dims
select $axis, c.user_key, fa.value
from ct_cohort c
left join friend_attributes fa on fa.user_key = c.user_key and fa.key = $attr_key
