-- Snapshot of deliveries for the Parquet export; the messages JSON as text.
-- Grain: one row per delivery. Parameters: none.
with final as (
    select * replace (messages::varchar as messages)
    from deliveries
)
select * from final
