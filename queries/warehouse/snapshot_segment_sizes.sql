-- Snapshot of segment_sizes for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of segment_sizes. Parameters: none.
with final as (
    select * from segment_sizes
)
select * from final
