-- The friend_attributes table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of friend_attributes. Parameters: none.
select * from friend_attributes
