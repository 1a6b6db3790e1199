-- When a writer marked the rollups dirty (state_mark_dirty) and nobody has brought them up to date
-- since: an old mark means a writer died between its commit and its rollup update.
-- Grain: one row (none when clean). Parameters: none.
select refreshed_at from rollup_state where name = 'dirty'
