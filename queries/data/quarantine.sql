-- Quarantined spool lines and events, newest first, with why they could not be loaded.
-- Grain: one row per quarantined line or event. Parameters: $limit (integer).
select quarantined_at, file, line_no, event_id, reason, left(raw, 300) as raw
from ingest_quarantine
order by quarantined_at desc, file, line_no
limit $limit::integer
