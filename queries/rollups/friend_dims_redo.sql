-- Incremental rollups, per friend (rollups.apply): the rows of the friends touched (temp._rollup_keys)
-- go before rollups/friend_dims, reading only those friends, adds them again (after
-- rollup_friend_firsts and rollup_friend_activity were redone for them).
-- Grain: one delete per friend touched. Parameters: none.
delete from rollup_friend_dims where user_key in (select user_key from temp._rollup_keys)
