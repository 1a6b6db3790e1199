-- Cross-tab step 3: the cells, from ct_cohort (who counts, with the outcome) and ct_dims (each
-- friend's row and column values).
-- Grain: one row per (row value, column value) with at least one friend: friends (the base of the
-- rate) and hits (friends with the outcome). (axis, user_key, value) is unique, so a count of rows
-- is a count of friends; a friend with several tag values counts in each.
-- Parameters: none.
with final as (
    select r.value as row_value, k.value as col_value, count(*) as friends, count(*) filter (where c.hit) as hits
    from ct_cohort c
    join ct_dims r on r.user_key = c.user_key and r.axis = 'rows'
    join ct_dims k on k.user_key = c.user_key and k.axis = 'cols'
    group by all
)
select * from final order by row_value nulls last, col_value nulls last
