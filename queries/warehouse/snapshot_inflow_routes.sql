-- Snapshot of inflow_routes for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of inflow_routes. Parameters: none.
with final as (
    select * from inflow_routes
)
select * from final
