-- Snapshot of LINE's messages-sent statistics per day for the Parquet export.
-- Grain: one row per day LINE reported. Parameters: none.
with final as (
    select * from insight_message_delivery
)
select * from final
