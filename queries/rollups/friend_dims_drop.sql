-- Full rebuild (rollups.refresh): rollup_friend_dims goes before rollups/friend_dims makes it anew, in the same
-- transaction, so a database made before the rollup gained a column upgrades itself. (A table's
-- name is no value DuckDB binds: each rollup has its own file.)
-- Grain: no rows (one row per friend once rebuilt). Parameters: none.
drop table if exists rollup_friend_dims
