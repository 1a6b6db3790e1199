-- LINE sync: how one part of one run ended (ok, skipped, failed, paced) and why, in words.
-- Grain: one row per part per run. Parameters: $started_at, $finished_at, $part, $status, $detail, $said (the detail as code +
-- parameters, JSON: dashboard/intake/texts.py; null for plain text).
insert into line_sync_runs (started_at, finished_at, part, status, detail, said)
values ($started_at, $finished_at, $part, $status, $detail, $said)
