-- Snapshot of rollup_richmenu_daily for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_richmenu_daily. Parameters: none.
with final as (
    select * from rollup_richmenu_daily
)
select * from final
