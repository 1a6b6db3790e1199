-- Cross-tab step 2, one axis: the month of the first add (YYYY-MM, account time zone) of each friend in ct_cohort, added to ct_dims.
-- Grain: one row per friend.
-- Parameters: $axis ('rows' or 'cols').
insert into ct_dims
select $axis, c.user_key, strftime(x.followed_at, '%Y-%m')
from ct_cohort c join rollup_friend_firsts x on x.user_key = c.user_key
