-- Loader step 11: the round in the run log (the Data page's loads; lag = now - the oldest line's
-- receive time).
-- Grain: one row per round that read lines. Parameters: $l, $e, $d, $q (bigint: lines, events
--   loaded, duplicates, quarantined), $oldest (timestamptz).
insert into ingest_runs (started_at, finished_at, lines, events_loaded, duplicates, quarantined, lag_seconds)
values (current_timestamp, current_timestamp, $l, $e, $d, $q, epoch(current_timestamp - $oldest::timestamptz))
