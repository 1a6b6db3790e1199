-- The delivery_recipients table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of delivery_recipients. Parameters: none.
select * from delivery_recipients
