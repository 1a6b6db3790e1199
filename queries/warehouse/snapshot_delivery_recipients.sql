-- Snapshot of delivery_recipients for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of delivery_recipients. Parameters: none.
with final as (
    select * from delivery_recipients
)
select * from final
