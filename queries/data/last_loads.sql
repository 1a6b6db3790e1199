-- The latest loader rounds that loaded something (Data page).
-- Grain: one row per round. Parameters: $limit (integer).
select finished_at, lines, events_loaded, duplicates, quarantined, lag_seconds
from ingest_runs
order by finished_at desc
limit $limit::integer
