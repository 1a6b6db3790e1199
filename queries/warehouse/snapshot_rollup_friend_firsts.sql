-- Snapshot of rollup_friend_firsts for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_friend_firsts. Parameters: none.
with final as (
    select * from rollup_friend_firsts
)
select * from final
