-- Incremental rollups: the temporary view shadowing `deliveries` (rollups/shadow_*) goes; this cursor reads
-- the base table again.
-- Grain: no rows. Parameters: none.
drop view if exists temp.deliveries
