-- Snapshot of rollup_delivery_reactors for the Parquet export (the send-time grid reads it).
-- Grain: one row per row of rollup_delivery_reactors. Parameters: none.
with final as (
    select * from rollup_delivery_reactors
)
select * from final
