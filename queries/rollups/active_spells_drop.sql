-- Full rebuild (rollups.refresh): rollup_active_spells goes before rollups/active_spells makes it anew, in the same
-- transaction, so a database made before the rollup gained a column upgrades itself. (A table's
-- name is no value DuckDB binds: each rollup has its own file.)
-- Grain: no rows (one row per friend and spell once rebuilt). Parameters: none.
drop table if exists rollup_active_spells
