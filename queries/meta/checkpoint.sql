-- Write the write-ahead log into the database file (on stop, after a demo build, before a backup).
-- Grain: no rows. Parameters: none.
checkpoint
