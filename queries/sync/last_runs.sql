-- LINE sync: the latest run of each part (Data page: sync status).
-- Grain: one row per part that ever ran. Parameters: none.
select part, started_at, finished_at, status, detail, said
from line_sync_runs
qualify row_number() over (partition by part order by started_at desc, finished_at desc) = 1
order by part
