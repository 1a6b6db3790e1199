-- Cross-tab step 2, one axis: the tags starting with a prefix, the rest of the tag as the value (null when none) of each friend in ct_cohort, added to ct_dims.
-- Grain: one row per friend and matching tag (a friend with several counts in each), or one null row.
-- Parameters: $axis ('rows' or 'cols'), $tag_prefix.
insert into ct_dims
with tagged as (
    select user_key, substr(tag, length($tag_prefix) + 1) as value
    from friend_tags
    where starts_with(tag, $tag_prefix) and user_key in (select user_key from ct_cohort)
)
select $axis, c.user_key, t.value
from ct_cohort c left join tagged t on t.user_key = c.user_key
