-- Snapshot of rollup_active_spells for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of rollup_active_spells. Parameters: none.
with final as (
    select * from rollup_active_spells
)
select * from final
