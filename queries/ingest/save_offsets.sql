-- Loader step 10: how far each spool file is read after the round, in the round's transaction.
-- Grain: one row per spool file read. Parameters: $files (varchar[]), $offsets, $lines (bigint[]):
--   the same length, one file per position.
insert or replace into ingest_offsets (file, offset_bytes, lines, updated_at)
select unnest($files::varchar[]), unnest($offsets::bigint[]), unnest($lines::bigint[]), current_timestamp
