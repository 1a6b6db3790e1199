-- Loader step 9: the friends whose rollup rows the round's new events change (rollups.apply redoes
-- their rows; a friend rerouted is added by the loader from apply_attributions).
-- Grain: one row per friend (user_key). Parameters: none.
select distinct f.user_key from _ingest_new n join friends f using (user_id)
