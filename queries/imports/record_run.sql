-- One row per CSV import, dry runs and rejected files included (Data page: import history).
-- Grain: one row per run. Parameters: $import_id, $kind, $file_name, $file_sha256, $encoding,
-- $actor, $started_at, $finished_at, $dry_run, $status, $rows_total, $rows_ok, $rows_bad,
-- $inserted, $updated, $unchanged, $errors (json: [{line, reason}], the first 1,000).
insert into import_runs (import_id, kind, file_name, file_sha256, encoding, actor, started_at,
                         finished_at, dry_run, status, rows_total, rows_ok, rows_bad, inserted,
                         updated, unchanged, errors)
values ($import_id, $kind, $file_name, $file_sha256, $encoding, $actor, $started_at, $finished_at,
        $dry_run, $status, $rows_total, $rows_ok, $rows_bad, $inserted, $updated, $unchanged,
        $errors::json)
