-- Loader: how far each spool file has been read, where the next round starts (committed with the
-- events it loaded, so a crash before the commit reads the lines again).
-- Grain: one row per spool file. Parameters: none.
select file, offset_bytes, lines from ingest_offsets
