-- Cross-tab step 2, one axis: the interest level (activity rollup, as of its refresh; null when none) of each friend in ct_cohort, added to ct_dims.
-- Grain: one row per friend.
-- Parameters: $axis ('rows' or 'cols').
insert into ct_dims
select $axis, c.user_key, a.interest_level
from ct_cohort c left join rollup_friend_activity a on a.user_key = c.user_key
