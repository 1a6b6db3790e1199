-- Snapshot of friend_attributes for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of friend_attributes. Parameters: none.
with final as (
    select * from friend_attributes
)
select * from final
