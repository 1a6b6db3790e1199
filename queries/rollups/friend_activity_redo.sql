-- Incremental rollups, per friend (rollups.apply): the rows of the friends touched (temp._rollup_keys)
-- go before rollups/friend_activity, reading only those friends, adds them again.
-- Grain: one delete per friend touched. Parameters: none.
delete from rollup_friend_activity where user_key in (select user_key from temp._rollup_keys)
