-- Loader step 3a: how many of the round's events are new (the rest are duplicates), and the
-- earliest of them (the rollups are redone from its day).
-- Grain: one row. Parameters: none.
select count(*) as loaded, min(occurred_at) as first_new from _ingest_new
