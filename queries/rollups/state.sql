-- The last full rebuild of the rollups: when, the active-spell gap it used ($active_days of
-- rollups/active_spells) and the instant rollup_friend_activity's "last N days" end at.
-- Grain: one row (none before the first rebuild). Parameters: none.
select refreshed_at, active_days, as_of from rollup_state where name = 'all'
