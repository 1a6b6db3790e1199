-- Cross-tab step 3: the cells, from ct_rows (each counted friend's row value and outcome) and
-- ct_values (their column value).
-- Grain: one row per (row value, column value) with at least one friend: friends (the base of the
-- rate) and hits (friends with the outcome). Each axis holds one row per friend and value, so a
-- count of rows is a count of friends; a friend with several tag values counts in each.
-- Parameters: none.
with final as (
    select r.value as row_value, k.value as col_value, count(*) as friends, count(*) filter (where r.hit) as hits
    from ct_rows r
    join ct_values k on k.user_key = r.user_key
    group by all
)
select * from final order by row_value nulls last, col_value nulls last
