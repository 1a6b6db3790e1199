-- The friend_tags table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of friend_tags. Parameters: none.
select * from friend_tags
