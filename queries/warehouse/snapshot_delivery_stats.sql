-- Snapshot of delivery_stats for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of delivery_stats. Parameters: none.
with final as (
    select * from delivery_stats
)
select * from final
