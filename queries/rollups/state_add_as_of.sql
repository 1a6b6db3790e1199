-- rollup_state gained as_of in schema 2; a file from between releases may lack it (rollups.ensure).
-- Grain: no rows. Parameters: none.
alter table rollup_state add column if not exists as_of timestamptz
