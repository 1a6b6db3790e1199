-- Snapshot of LINE's friend numbers per day for the Parquet export (the Account health page and the
-- Overview's LINE figures read it).
-- Grain: one row per day LINE reported. Parameters: none.
with final as (
    select * from insight_followers
)
select * from final
