-- Incremental rollups, per friend (rollups.apply): the spells of the friends touched
-- (temp._rollup_keys) go before rollups/active_spells, reading only those friends, adds them again.
-- Grain: one delete per spell of a friend touched. Parameters: none.
delete from rollup_active_spells where user_key in (select user_key from temp._rollup_keys)
