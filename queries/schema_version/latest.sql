-- The schema version the database is at (dashboard/core/storage.py, core/backup.py restore).
-- Grain: one row, the highest version recorded (null in an empty table). Parameters: none.
select max(version) from schema_version
