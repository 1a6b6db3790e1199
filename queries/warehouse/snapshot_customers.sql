-- Snapshot of customers for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of customers. Parameters: none.
with final as (
    select * from customers
)
select * from final
