-- Full rebuild (rollups.refresh): records it, with the settings it used, in its transaction.
-- Grain: one row ('all'). Parameters: $days (integer: the active-spell gap), $as_of (timestamptz).
insert or replace into rollup_state (name, refreshed_at, active_days, as_of)
values ('all', current_timestamp, $days, $as_of)
