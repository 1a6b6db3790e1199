-- Snapshot of the saved segments for the Parquet export; the rule JSON as text.
-- Grain: one row per saved segment. Parameters: none.
with final as (
    select * replace (definition::varchar as definition)
    from segments
)
select * from final
