-- Snapshot of friend_tags for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of friend_tags. Parameters: none.
with final as (
    select * from friend_tags
)
select * from final
