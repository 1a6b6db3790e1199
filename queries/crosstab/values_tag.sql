-- Cross-tab step 2, one axis: the tags starting with a prefix, the rest of the tag as the value (null when none), of each friend in ct_cohort, into the temp table ct_values (this cursor's own;
-- crosstab/rows_keep.sql keeps the rows' axis as ct_rows, the columns' axis stays ct_values).
-- Grain: one row per friend and matching tag (a friend with several counts in each), or one null row.
-- Parameters: $tag_prefix.
create or replace temp table ct_values as
with tagged as (
    select user_key, substr(tag, length($tag_prefix) + 1) as value
    from friend_tags
    where starts_with(tag, $tag_prefix)
)
select c.user_key, c.hit, t.value
from ct_cohort c left join tagged t on t.user_key = c.user_key
