-- Loader step 8: lines and events that cannot be loaded, with the reason; the rest load anyway.
-- Grain: one row per quarantined line or event. Parameters: none.
insert into ingest_quarantine (quarantined_at, file, line_no, event_id, reason, raw)
select current_timestamp, file, line_no, null, reason, left(line, 100000)
from _ingest_records where reason is not null
union all
select current_timestamp, file, line_no, event_id, reason, left(payload::varchar, 100000)
from _ingest_events where reason is not null
