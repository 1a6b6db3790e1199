-- The customers table as it is now, for its Parquet snapshot (every column, JSON as text).
-- Grain: one row per row of customers. Parameters: none.
select * from customers
