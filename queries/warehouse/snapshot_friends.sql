-- The friends table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of friends. Parameters: none.
select * from friends
