-- Incremental rollups (rollups.apply): the rollups moved; 'all' keeps the last full rebuild, this
-- row tells readers (the pages' caches, rollups/last_refresh) that the data changed.
-- Grain: one row ('incremental'). Parameters: none.
insert or replace into rollup_state (name, refreshed_at) values ('incremental', current_timestamp)
