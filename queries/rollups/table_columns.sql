-- The columns a rollup table has now, in order (rollups.outdated compares them with what its query
-- makes: a database built by an older release is rebuilt).
-- Grain: one row per column of table $t. Parameters: $t (varchar).
select column_name from information_schema.columns where table_name = $t order by ordinal_position
