-- Full rebuild (rollups.refresh): rollup_delivery_route goes before rollups/delivery_route makes it anew, in the same
-- transaction, so a database made before the rollup gained a column upgrades itself. (A table's
-- name is no value DuckDB binds: each rollup has its own file.)
-- Grain: no rows (one row per delivery and route once rebuilt). Parameters: none.
drop table if exists rollup_delivery_route
