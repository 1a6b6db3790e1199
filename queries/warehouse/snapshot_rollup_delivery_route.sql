-- Snapshot of rollup_delivery_route for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_delivery_route. Parameters: none.
with final as (
    select * from rollup_delivery_route
)
select * from final
