-- The tables of the main schema, to tell a new file from one made elsewhere (dashboard/core/storage.py).
-- Grain: one row per table. Parameters: none.
select table_name from information_schema.tables where table_schema = 'main'
