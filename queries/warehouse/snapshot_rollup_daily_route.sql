-- Snapshot of rollup_daily_route for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_daily_route. Parameters: none.
with final as (
    select * from rollup_daily_route
)
select * from final
