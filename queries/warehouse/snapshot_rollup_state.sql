-- Snapshot of rollup_state for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_state. Parameters: none.
with final as (
    select * from rollup_state
)
select * from final
