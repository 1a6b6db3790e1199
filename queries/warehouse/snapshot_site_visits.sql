-- Snapshot of site_visits for the Parquet export (dimension tables are written whole each time).
-- Grain: one row per row of site_visits. Parameters: none.
with final as (
    select * from site_visits
)
select * from final
