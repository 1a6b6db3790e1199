-- Full rebuild (rollups.refresh): rollup_delivery_reactors goes before rollups/delivery_reactors makes it anew, in
-- the same transaction. (A table's name is no value DuckDB binds: each rollup has its own file.)
-- Grain: no rows. Parameters: none.
drop table if exists rollup_delivery_reactors
