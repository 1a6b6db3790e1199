-- Cross-tab step 2, one axis: the month of the first add (YYYY-MM, account time zone) of each friend in ct_cohort, into the temp table ct_values (this cursor's own;
-- crosstab/rows_keep.sql keeps the rows' axis as ct_rows, the columns' axis stays ct_values).
-- Grain: one row per friend: user_key, hit, value.
-- Parameters: none.
create or replace temp table ct_values as
select user_key, hit, strftime(follow_day, '%Y-%m') as value from ct_cohort
