-- Snapshot of rollup_friend_activity for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_friend_activity. Parameters: none.
with final as (
    select * from rollup_friend_activity
)
select * from final
