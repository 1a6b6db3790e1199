-- The deliveries table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of deliveries. Parameters: none.
select * replace (messages::varchar as messages) from deliveries
