-- Snapshot of friends for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of friends. Parameters: none.
with final as (
    select * from friends
)
select * from final
