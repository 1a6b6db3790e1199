-- A writer (the loader, imports) marks the rollups dirty inside its own transaction: if the process
-- dies before it brings them up to date (rollups.apply), the next start rebuilds them whole.
-- Grain: one row ('dirty'). Parameters: none.
insert or replace into rollup_state (name, refreshed_at) values ('dirty', current_timestamp)
