-- When the rollups last changed (a loader round, an import, a send): the data's version, part of
-- every page question's cache key (dashboard/web/ui.py data_version).
-- Grain: one row, the latest refreshed_at (null before the first refresh). Parameters: none.
select max(refreshed_at) from rollup_state
