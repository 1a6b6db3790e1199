-- Recent CSV imports, newest first (Data page).
-- Grain: one row per import run. Parameters: $limit (integer).
select import_id, started_at, finished_at, kind, file_name, status, dry_run, actor, encoding,
       rows_total, rows_ok, rows_bad, inserted, updated, unchanged, errors, file_sha256
from import_runs
order by started_at desc, import_id
limit $limit
