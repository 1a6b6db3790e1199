-- The rollups are up to date again (a full rebuild, an incremental update): the dirty mark goes.
-- Grain: one delete ('dirty'). Parameters: none.
delete from rollup_state where name = 'dirty'
