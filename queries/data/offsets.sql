-- How far the loader has read each spool file. Grain: one row per file. Parameters: none.
select file, offset_bytes, lines, updated_at from ingest_offsets
