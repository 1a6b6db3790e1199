-- Cross-tab step 2, one axis: the interest level (activity rollup, as of its refresh; null when none) of each friend in ct_cohort, into the temp table ct_values (this cursor's own;
-- crosstab/rows_keep.sql keeps the rows' axis as ct_rows, the columns' axis stays ct_values).
-- Grain: one row per friend: user_key, hit, value.
-- Parameters: none.
create or replace temp table ct_values as
select c.user_key, c.hit, a.interest_level as value
from ct_cohort c left join rollup_friend_activity a on a.user_key = c.user_key
