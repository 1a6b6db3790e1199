-- The segments table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of segments. Parameters: none.
select * replace (definition::varchar as definition) from segments
